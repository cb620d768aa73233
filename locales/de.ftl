# Gatehouse — deutsche Texte (übersetzt aus dem Referenzkatalog locales/en.ftl: dort gibt es jeden Schlüssel).
# Dieser Katalog übersetzt jeden Schlüssel der englischen Datei; ein Betreiber überschreibt einzelne Texte in
# <portal.templates_dir>/locales/<tag>.ftl. Argumente ($name) werden maskiert, wo sie angezeigt werden.

language-name = Deutsch

## Rahmen jeder Seite

frame-signed-in-as = Angemeldet als { $who }
frame-portal-home = Portal-Startseite
frame-sign-out-or-switch = Abmelden oder Konto wechseln
frame-request = Anfrage { $id }
frame-language = Sprache
frame-language-change = Ändern
frame-show = Anzeigen
frame-hide = Verbergen
frame-show-field = { $field } anzeigen

## Allgemeine Begriffe

common-username = Benutzername
common-password = Passwort
common-email = E-Mail
common-name = Name
common-groups = Gruppen
common-status = Status
common-sign-in = Anmelden
common-sign-out = Abmelden
common-cancel = Abbrechen
common-save = Speichern
common-none = keine
common-back-to-sign-in = Zurück zur Anmeldung
common-back-to-account = Zurück zur Kontosicherheit
common-back-to-users = Zurück zu den Benutzern
common-account-security = Kontosicherheit
common-admin = Verwaltung
common-groups-hint = Durch Kommas getrennt, z. B. { $example }.
common-password-hint = Mindestens { $min } Zeichen. Mehrere voneinander unabhängige Wörter eignen sich gut; weitere Regeln gibt es nicht.
common-new-password = Neues Passwort
common-new-password-again = Neues Passwort wiederholen
common-code-or-recovery = Aktueller Code oder Wiederherstellungscode
common-this-device = Dieses Gerät
common-device-on = { $browser } unter { $platform }
common-unknown-device = Unbekanntes Gerät
common-verbatim = { $text }
common-signed-in-at = angemeldet
common-last-active = zuletzt aktiv
common-sign-out-session = { $device } ({ $ip }) abmelden (Sitzung { $handle })
common-session-not-found = Diese Sitzung wurde nicht gefunden. Möglicherweise ist sie bereits beendet.
common-confirmed-repeat = Passwort bestätigt. Die Aktion wurde noch nicht ausgeführt: Wiederholen Sie sie jetzt.
common-too-many-attempts = Zu viele fehlgeschlagene Versuche. Versuchen Sie es in { $wait } erneut.
common-form-expired = Dieses Formular war abgelaufen, daher wurde nichts geändert. Prüfen Sie es und senden Sie es erneut.

## Zeitspannen

span-minutes = { $n ->
    [one] { $n } Minute
   *[other] { $n } Minuten
}
span-hours = { $n ->
    [one] { $n } Stunde
   *[other] { $n } Stunden
}
span-days = { $n ->
    [one] { $n } Tag
   *[other] { $n } Tage
}
span-seconds = { $n ->
    [one] { $n } Sekunde
   *[other] { $n } Sekunden
}

## Anmeldung

login-title = Anmelden
login-remember = Auf diesem Gerät { $days } Tage lang angemeldet bleiben
login-forgot = Passwort vergessen?
login-failed = Benutzername oder Passwort ist ungültig.
login-busy = Gerade laufen sehr viele Anmeldungen. Versuchen Sie es in ein paar Sekunden erneut.
login-session-ended = Ihre Sitzung ist beendet. Melden Sie sich erneut an, um fortzufahren.
login-form-incomplete = Das Formular war unvollständig. Versuchen Sie es erneut.

## Zweiter Faktor

code-title = Zwei-Faktor-Authentifizierung
code-intro-recovery = Geben Sie einen der Wiederherstellungscodes ein, die Sie für { $username } gespeichert haben. Jeder Code funktioniert nur einmal.
code-intro-app = Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App für { $username } ein.
code-label-recovery = Wiederherstellungscode
code-label-app = Code aus Ihrer Authenticator-App
code-trust-device = Diesem Gerät { $days } Tage lang vertrauen
code-verify = Bestätigen
code-use-app = Stattdessen den Code aus der App verwenden
code-use-recovery = Stattdessen einen Wiederherstellungscode verwenden
code-someone-else = Mit einem anderen Konto anmelden
code-invalid = Ungültiger Code.
code-too-many = Zu viele falsche Codes. Melden Sie sich erneut an.
code-sign-in-expired = Ihre Anmeldung ist abgelaufen. Melden Sie sich erneut an.

## Portal-Startseite und Abmelden

home-title = Angemeldet
home-signed-in-as = Sie sind als { $name } ({ $username }) angemeldet.
home-your-apps = Ihre Apps
home-two-factor-tag = Zwei-Faktor
logout-title = Abmelden?
logout-question = Sie sind als { $name } ({ $username }) angemeldet. Von allen Apps hinter diesem Portal abmelden?
signed-out-title = Abgemeldet
signed-out-heading = Sie sind abgemeldet
signed-out-message = Ihre Sitzung wurde auf dem Server beendet.
signed-out-again = Erneut anmelden

## Kontosicherheit

account-title = Kontosicherheit
account-two-factor = Zwei-Faktor-Authentifizierung
account-two-factor-on = Aktiviert.
account-codes-unused = { $left ->
    [one] unbenutzter Wiederherstellungscode.
   *[other] unbenutzte Wiederherstellungscodes.
}
account-two-factor-off = Deaktiviert.
account-regenerate = Neue Wiederherstellungscodes erzeugen
account-regenerate-button = Neue Codes erzeugen
account-turn-off = Zwei-Faktor-Authentifizierung deaktivieren
account-turn-off-button = Deaktivieren
account-set-up-2fa = Zwei-Faktor-Authentifizierung einrichten
account-change-password = Passwort ändern
account-devices = Gespeicherte Geräte
account-device-line = { $ip } · gespeichert { $created } · bis { $expires }
account-forget = Entfernen
account-forget-device = { $device } entfernen
account-no-devices = Keine. Auf einem Gerät, dem Sie bei der Anmeldung vertrauen, entfällt { $days } Tage lang die Code-Eingabe.
account-sessions = Sitzungen
account-sessions-link = Aktive Sitzungen
account-sessions-hint = wo Sie angemeldet sind; andere Geräte abmelden.
account-administration = Verwaltung
account-admin-link = Verwaltungsbereich
account-admin-hint = Benutzer, Passwörter, Sitzungen.
account-done-password = Ihr Passwort wurde geändert. Alle anderen Sitzungen wurden abgemeldet; diese Sitzung bleibt bestehen.
account-done-2fa-off = Die Zwei-Faktor-Authentifizierung ist deaktiviert.
account-done-device = Dieses Gerät wird bei der nächsten Anmeldung nach einem Code gefragt.
account-wrong-password-or-code = Das Passwort oder der Code war falsch. Es wurde nichts geändert.

## Erneute Bestätigung

reauth-title = Passwort bestätigen
reauth-intro = Zum Ändern von Sicherheitseinstellungen ist Ihr Passwort erneut erforderlich.
reauth-continue = Weiter
reauth-wrong = Falsches Passwort.
reauth-kept = Sobald Ihr Passwort bestätigt ist, wird ausgeführt, was Sie angefordert haben: Sie müssen es nicht wiederholen.

## Einrichtung der Zwei-Faktor-Authentifizierung und Wiederherstellungscodes

enroll-title = Zwei-Faktor-Authentifizierung einrichten
enroll-scan = Scannen Sie diesen Code mit einer Authenticator-App und geben Sie dann den 6-stelligen Code ein, den die App anzeigt.
enroll-qr-label = QR-Code mit dem Einrichtungsschlüssel, der unten als Text angezeigt wird
enroll-by-hand = Scannen nicht möglich? Geben Sie diesen Schlüssel manuell ein (zeitbasiert, SHA-1, 6 Ziffern, 30 Sekunden):
enroll-on-phone = Oder direkt auf dem Smartphone:
enroll-open-link = Schlüssel in einer Authenticator-App öffnen
enroll-link-as-text = Derselbe Link als Text:
enroll-code = Code aus der App
enroll-turn-on = Aktivieren
enroll-mismatch = Dieser Code stimmt nicht. Prüfen Sie die Uhrzeit auf Ihrem Smartphone und versuchen Sie es mit dem nächsten Code.
codes-title = Ihre Wiederherstellungscodes
codes-page-title = Wiederherstellungscodes
codes-intro-new = Die Zwei-Faktor-Authentifizierung ist aktiviert.
codes-intro-regenerated = Ihre alten Wiederherstellungscodes funktionieren nicht mehr.
codes-explain = Jeder Code funktioniert nur einmal, für den Fall, dass Ihr Smartphone nicht zur Hand ist. Bewahren Sie die Codes an einem sicheren Ort auf, denn sie werden nur jetzt angezeigt.
codes-label = Wiederherstellungscodes
codes-copy = Kopieren
codes-copied = Kopiert
codes-download = Als Text herunterladen
codes-continue = Ich habe sie gespeichert, weiter

## Passwörter

password-title-change = Passwort ändern
password-title-forced = Neues Passwort festlegen
password-forced-notice = Ihr Administrator bittet Sie, ein neues Passwort zu wählen, bevor Sie fortfahren.
password-current = Aktuelles Passwort
password-code = Code aus Ihrer Authenticator-App oder ein Wiederherstellungscode
password-submit = Passwort ändern
password-others-signed-out = Alle anderen Sitzungen werden abgemeldet.
password-current-wrong = Das aktuelle Passwort ist falsch.
password-code-wrong = Der Code ist falsch.
password-too-short = Verwenden Sie mindestens { $min } Zeichen.
password-too-long = Verwenden Sie höchstens { $max } Bytes.
password-predictable = Bilden Sie das Passwort nicht aus Ihrem Benutzernamen oder dem Namen dieses Dienstes.
password-control-characters = Das Passwort enthält Steuerzeichen.
password-too-common = Dieses Passwort ist zu verbreitet und leicht zu erraten. Versuchen Sie es mit einigen voneinander unabhängigen Wörtern.
password-mismatch = Die beiden neuen Passwörter stimmen nicht überein.
password-refused = Das Passwort wurde abgelehnt: { $why }
forgot-title = Passwort vergessen
forgot-heading = Passwort vergessen?
forgot-intro = Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Wenn ein Konto dazu passt, senden wir einen Link, mit dem Sie ein neues Passwort wählen können.
forgot-who = Benutzername oder E-Mail
forgot-send = Link senden
forgot-too-many = Zu viele Anfragen aus Ihrem Netzwerk. Versuchen Sie es in einigen Minuten erneut.
forgot-sent-title = Prüfen Sie Ihre E-Mails
forgot-sent = Wenn ein Konto zu Ihrer Eingabe passt, ist ein Link zum Wählen eines neuen Passworts unterwegs. Er funktioniert nur einmal und ist { $valid } lang gültig. Keine E-Mail erhalten? Sehen Sie im Spam-Ordner nach oder wenden Sie sich an Ihren Administrator.
reset-title = Neues Passwort wählen
reset-for = Für { $username }. Alle Sitzungen des Kontos werden abgemeldet.
reset-submit = Passwort festlegen
reset-invalid-title = Ungültiger Link
reset-invalid = Dieser Link ist ungültig oder abgelaufen. Fordern Sie einen neuen an.
reset-ask-again = Neuen Link anfordern
reset-done-title = Passwort geändert
reset-done = Ihr neues Passwort ist festgelegt, und alle Sitzungen des Kontos wurden abgemeldet. Melden Sie sich mit dem neuen Passwort an.

## Aktive Sitzungen

sessions-title = Aktive Sitzungen
sessions-intro = Wo { $username } angemeldet ist. Das Abmelden einer Sitzung beendet sie sofort auf dem Server.
sessions-revoke-others = Alle anderen Sitzungen abmelden
sessions-none-other = Keine anderen Sitzungen.
sessions-confirmed = Passwort bestätigt. Wählen Sie jetzt erneut die Sitzung, die abgemeldet werden soll.
sessions-done-revoked = Die Sitzung wurde abgemeldet.
sessions-done-others = Alle anderen Sitzungen wurden abgemeldet.

## Verwaltungsbereich

admin-users-title = Benutzer
admin-area-line = Verwaltungsbereich · angemeldet als { $username }
admin-search-label = Benutzer suchen
admin-search-placeholder = Benutzername, Name oder E-Mail
admin-search = Suchen
admin-create-user = Benutzer anlegen
admin-found = Treffer für „{ $q }“: { $found } von { $total } Benutzern.
admin-show-all = Alle anzeigen
admin-truncated = Nur die ersten { $max } werden angezeigt: Grenzen Sie die Liste mit der Suche ein.
admin-tag-disabled = deaktiviert
admin-tag-2fa = 2FA aktiv
admin-tag-must-change = muss Passwort ändern
admin-no-users = Keine Benutzer.
admin-no-match = Keine passenden Benutzer.
admin-field-two-factor = Zwei-Faktor
admin-field-created = Angelegt
admin-created-line = { $created } · zuletzt geändert { $updated }
admin-tag-active = aktiv
admin-tag-admin = Administrator
admin-on = aktiviert
admin-off = deaktiviert
admin-must-change-yes = muss bei der nächsten Anmeldung geändert werden
admin-must-change-no = vom Benutzer festgelegt
admin-profile-heading = Name, E-Mail und Gruppen
admin-display-name = Anzeigename
admin-display-name-hint = Leer: Stattdessen wird der Benutzername verwendet.
admin-email-hint = Eine neue Adresse macht Links zum Zurücksetzen ungültig, die an die alte Adresse gesendet wurden.
admin-groups-own = Ihre eigenen Gruppen können Sie hier nicht ändern.
admin-groups-sessions = Die Sitzungen des Benutzers erhalten die neuen Gruppen sofort.
admin-own-password = Ändern Sie Ihr eigenes Passwort auf Ihrer Kontoseite.
admin-mode-temporary = Temporäres Passwort festlegen, das Ihnen einmal angezeigt wird (alle Sitzungen enden)
admin-mode-link = Link zum Zurücksetzen an { $email } senden (Sie sehen ihn nie)
admin-no-notifier = Es ist kein E-Mail-Versand konfiguriert, daher können keine Links zum Zurücksetzen gesendet werden.
admin-no-email = Der Benutzer hat keine E-Mail-Adresse, daher kann kein Link zum Zurücksetzen gesendet werden.
admin-must-change-next = Muss bei der nächsten Anmeldung ein neues Passwort wählen (temporäres Passwort)
admin-reset-password = Passwort zurücksetzen
admin-account = Konto
admin-enable = Aktivieren
admin-disable = Deaktivieren (beendet sofort alle Sitzungen)
admin-unlock = Entsperren (Anmeldesperren aufheben)
admin-reset-2fa = Zwei-Faktor-Authentifizierung zurücksetzen
admin-delete-link = Benutzer löschen…
admin-myself = Sie können hier weder Ihr eigenes Konto deaktivieren oder löschen noch Ihre eigene Zwei-Faktor-Authentifizierung zurücksetzen.
admin-sessions = Sitzungen
admin-current-session = Ihre aktuelle Sitzung
admin-two-factors = zwei Faktoren
admin-no-sessions = Keine aktiven Sitzungen.
admin-revoke-all = Alle Sitzungen abmelden
admin-step-up-note = Jede Aktion hier setzt voraus, dass Sie Ihr Passwort innerhalb der letzten Minuten eingegeben haben, und wird im Audit-Log festgehalten.
admin-user-title = Benutzer { $username }
admin-done-created = Der Benutzer wurde angelegt.
admin-done-invited = Der Benutzer wurde angelegt, und ein Einladungslink zum Wählen des Passworts wurde ihm per E-Mail gesendet.
admin-done-link = Ein Link zum Zurücksetzen des Passworts wurde dem Benutzer per E-Mail gesendet. Das Passwort bleibt unverändert, bis der Link verwendet wird.
admin-done-disabled = Das Konto ist deaktiviert, und alle seine Sitzungen wurden beendet.
admin-done-enabled = Das Konto ist wieder aktiviert.
admin-done-unlocked = Die Anmeldesperren des Kontos sind aufgehoben.
admin-done-2fa = Die Zwei-Faktor-Authentifizierung wurde deaktiviert; die Sitzungen des Benutzers wurden beendet, seine gespeicherten Geräte entfernt, und er wurde per E-Mail benachrichtigt.
admin-done-revoked = Die Sitzung wurde abgemeldet.
admin-done-revoked-all = Alle Sitzungen des Benutzers wurden abgemeldet.
admin-done-profile = Name, E-Mail-Adresse und Gruppen wurden gespeichert.
admin-done-deleted = Der Benutzer wurde gelöscht, und alle zugehörigen Sitzungen wurden beendet.
admin-choose-mode = Wählen Sie ein temporäres Passwort oder einen Link zum Zurücksetzen.
admin-link-no-notifier = Es ist kein E-Mail-Versand konfiguriert: Verwenden Sie ein temporäres Passwort.
admin-link-no-email = Der Benutzer hat keine E-Mail-Adresse: Verwenden Sie ein temporäres Passwort.
admin-link-disabled = Das Konto ist deaktiviert, daher würde ein Link zum Zurücksetzen nicht funktionieren: Aktivieren Sie es zuerst.
admin-own-set-password = Ihr eigenes Passwort können Sie hier nicht zurücksetzen: Ändern Sie es auf Ihrer Kontoseite.
admin-own-disable = Sie können Ihr eigenes Konto nicht deaktivieren.
admin-own-reset-2fa = Ihre eigene Zwei-Faktor-Authentifizierung können Sie hier nicht zurücksetzen: Deaktivieren Sie sie auf Ihrer Kontoseite.
admin-own-current-session = Dies ist Ihre aktuelle Sitzung: Verwenden Sie stattdessen „Abmelden“.
admin-own-revoke-all = Damit würde auch Ihre aktuelle Sitzung enden: Verwenden Sie „Alle anderen Sitzungen abmelden“ auf Ihrer Sitzungsseite.
admin-own-delete = Sie können Ihr eigenes Konto nicht löschen.
admin-own-groups = Ihre eigenen Gruppen können Sie hier nicht ändern (und auch die Admin-Gruppe nicht verlassen): Wenden Sie sich an einen anderen Administrator.
admin-2fa-not-on = Für diesen Benutzer ist die Zwei-Faktor-Authentifizierung nicht aktiviert.
admin-bad-display-name = Der Anzeigename ist ungültig: { $why }.
admin-bad-email = Die E-Mail-Adresse ist ungültig: { $why }.
admin-bad-group = Ein Gruppenname ist ungültig: { $why }.
admin-bad-username-or-group = Der Benutzername oder ein Gruppenname ist ungültig: { $why }.
admin-display-name-invalid = Der Anzeigename ist zu lang oder enthält Steuerzeichen.
admin-email-invalid = Die E-Mail-Adresse ist ungültig.
admin-user-exists = Ein Benutzer mit diesem Namen existiert bereits.
admin-new-title = Neuer Benutzer
admin-username-hint = Kleinbuchstaben, Ziffern, '.', '_', '-' und '@'.
admin-initial-password = Anfangspasswort
admin-initial-password-hint = Mindestens { $min } Zeichen. Leer lassen, um eines zu erzeugen; es wird einmal auf der nächsten Seite angezeigt.
admin-must-change-first = Muss bei der ersten Anmeldung ein neues Passwort wählen
admin-invite = Stattdessen eine Einladung per E-Mail senden: Der Benutzer wählt das Passwort selbst über einen Link, der nur einmal funktioniert und { $valid } lang gültig ist (erfordert die E-Mail-Adresse)
admin-invite-no-notifier = Es ist kein E-Mail-Versand konfiguriert, daher kann keine Einladung gesendet werden.
admin-invite-no-email = Für eine Einladung ist die E-Mail-Adresse des Benutzers erforderlich.
admin-create = Benutzer anlegen
admin-created-title = Benutzer angelegt
admin-temporary-title = Temporäres Passwort
admin-created-with = Der Benutzer { $username } wurde mit diesem Passwort angelegt:
admin-new-password-of = Das neue Passwort von { $username }:
admin-shown-once = Es wird nur jetzt angezeigt: Geben Sie es über einen vertrauenswürdigen Kanal an den Benutzer weiter.
admin-they-must-change = Bei der ersten Anmeldung damit muss der Benutzer ein neues Passwort wählen.
admin-they-keep = Der Benutzer wird nicht aufgefordert, es zu ändern.
admin-sessions-ended = Alle Sitzungen des Benutzers wurden beendet, und seine gespeicherten Geräte wurden entfernt.
admin-notice-mailed = Der Benutzer wurde per E-Mail benachrichtigt.
admin-back-to = Zurück zu { $username }
admin-all-users = Alle Benutzer
admin-delete-title = { $username } löschen?
admin-back-to-user = Zurück zum Benutzer
admin-delete-warning = Das Konto { $username } wird gelöscht: Eine Anmeldung ist nicht mehr möglich, { $sessions ->
    [0] etwaige Sitzungen enden sofort,
    [one] die { $sessions } aktive Sitzung endet sofort,
   *[other] die { $sessions } aktiven Sitzungen enden sofort,
} und Passwort, Zwei-Faktor-Authentifizierung und gespeicherte Geräte werden entfernt. Dies kann nicht rückgängig gemacht werden.
admin-delete-named = { $username } ({ $name })
admin-delete-button = { $username } löschen
admin-delete-note = Dies setzt voraus, dass Sie Ihr Passwort innerhalb der letzten Minuten eingegeben haben, und wird im Audit-Log festgehalten.

## Fehlerseiten

error-bad-request = Ungültige Anfrage
error-not-found = Nicht gefunden
error-not-found-text = Hier gibt es keine Seite.
error-method = Methode nicht erlaubt
error-method-text = Diese Adresse akzeptiert diese Art von Anfrage nicht.
error-forbidden = Zugriff verweigert
error-forbidden-text = Ihr Konto darf diese Seite nicht öffnen.
error-forbidden-who = Sie sind als { $who } angemeldet, und dieses Konto darf diese Seite nicht öffnen.
error-two-factor = Zwei-Faktor-Authentifizierung erforderlich
error-two-factor-text = Diese Seite erfordert Zwei-Faktor-Authentifizierung, die für Ihr Konto noch nicht eingerichtet ist. Richten Sie sie einmalig mit einer Authenticator-App ein; danach kommen Sie hierher zurück.
error-two-factor-set-up = Zwei-Faktor-Authentifizierung jetzt einrichten
error-unknown-host = Unbekannte Website
error-unknown-host-text = Dieses Gateway ist für diesen Hostnamen nicht zuständig.
error-unknown-host-named = Dieses Gateway ist für { $host } nicht zuständig.
error-go-to-portal = Zum Anmeldeportal
error-too-large = Anfrage zu groß
error-too-large-text = Das Formular oder die Anfrage war größer als erlaubt.
error-unavailable = Vorübergehend nicht verfügbar
error-unavailable-text = Der Anmeldedienst ist vorübergehend nicht verfügbar. Versuchen Sie es gleich noch einmal.
error-busy-text = Gerade laufen sehr viele Anmeldungen, daher wurde diese nicht geprüft. Versuchen Sie es in ein paar Sekunden erneut.
error-bad-gateway = Anwendung nicht erreichbar
error-bad-gateway-text = Die Anwendung hinter diesem Gateway antwortet nicht.
error-timeout = Zeitüberschreitung der Anwendung
error-timeout-text = Die Anwendung hinter diesem Gateway hat zu lange für eine Antwort gebraucht.
error-internal = Etwas ist schiefgelaufen
error-internal-text = Das Gateway konnte die Anfrage nicht abschließen.
error-switch-account = Mit einem anderen Konto anmelden
bad-request-repeated-header = Die Anfrage wiederholt einen Header, der nur einmal vorkommen darf.
bad-request-two-hosts = Die Anfrage nennt zwei verschiedene Hosts.
bad-request-no-host = Die Anfrage enthält keinen Host.
bad-request-bad-host = Der Hostname ist ungültig.
bad-request-bad-path = Der Pfad ist nicht erlaubt: Er verwendet eine Kodierung oder Zeichenfolge, die falsch interpretiert werden könnte.
bad-request-incomplete-form = Das Formular war unvollständig.
bad-request-language = Diese Sprache wird hier nicht angeboten.
bad-request-forwarded-for = X-Forwarded-For nennt nicht die Adresse des Clients.
bad-request-header-characters = Ein Header enthält unzulässige Zeichen.
bad-request-framing = Die Anfrage enthält sowohl Content-Length als auch Transfer-Encoding.

## Regeln für Namen und Adressen (eigenständiger Satz nach „… ist ungültig:“)

rule-empty = Der Name darf nicht leer sein
rule-too-long = Erlaubt sind höchstens { $max } Zeichen
rule-bad-character = Erlaubt sind nur a-z, 0-9, '.', '_', '-' und '@'
rule-control-characters = Steuerzeichen sind nicht erlaubt
rule-spaces = Leerzeichen sind nicht erlaubt
rule-email-form = Erwartet wird die Form name@domain

## E-Mail

mail-hello = Hallo { $name },
mail-when = Zeitpunkt: { $when }
mail-from = Von: { $from }
mail-from-value = { $device }, Adresse { $ip }
mail-your-account = Ihr Konto:
mail-signature = { $product } (Konto { $username })
mail-not-you = Falls Sie das nicht waren, ändern Sie jetzt Ihr Passwort und wenden Sie sich an Ihren Administrator.
mail-by-admin = Falls Sie diese Änderung nicht erwartet haben, fragen Sie Ihren Administrator danach.
mail-reset-subject = Passwort zurücksetzen
mail-reset-1 = Jemand hat angefordert, das Passwort Ihres Kontos zurückzusetzen. Öffnen Sie diesen Link, um ein neues Passwort zu wählen:
mail-reset-2 = Der Link funktioniert nur einmal und ist { $valid } lang gültig. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht: Ihr Passwort bleibt unverändert.
mail-invite-subject = Ihr neues Konto
mail-invite-1 = Ein Administrator hat ein Konto für Sie angelegt. Öffnen Sie diesen Link, um Ihr Passwort zu wählen und sich anzumelden:
mail-invite-2 = Der Link funktioniert nur einmal und ist { $valid } lang gültig. Falls Sie dieses Konto nicht erwartet haben, ignorieren Sie diese Nachricht.
mail-changed-subject = Ihr Passwort wurde geändert
mail-changed-1 = Das Passwort Ihres Kontos wurde geändert, und alle anderen Sitzungen wurden abgemeldet.
mail-changed-2 = Falls Sie das nicht waren, setzen Sie Ihr Passwort jetzt zurück und wenden Sie sich an Ihren Administrator.
mail-admin-set-subject = Ihr Passwort wurde von einem Administrator zurückgesetzt
mail-admin-set-1 = Ein Administrator hat ein neues Passwort für Ihr Konto festgelegt und Sie überall abgemeldet. Das neue Passwort erhalten Sie vom Administrator; falls er das verlangt hat, wählen Sie bei der nächsten Anmeldung ein eigenes.
mail-2fa-on-subject = Zwei-Faktor-Authentifizierung aktiviert
mail-2fa-on-1 = Die Zwei-Faktor-Authentifizierung ist jetzt für Ihr Konto aktiviert. Zum Anmelden ist ein Code aus Ihrer Authenticator-App oder einer Ihrer Wiederherstellungscodes erforderlich.
mail-2fa-off-subject = Zwei-Faktor-Authentifizierung deaktiviert
mail-2fa-off-1 = Die Zwei-Faktor-Authentifizierung wurde für Ihr Konto deaktiviert. Ihre Wiederherstellungscodes und gespeicherten Geräte funktionieren nicht mehr.
mail-2fa-reset-subject = Zwei-Faktor-Authentifizierung von einem Administrator zurückgesetzt
mail-2fa-reset-1 = Ein Administrator hat die Zwei-Faktor-Authentifizierung für Ihr Konto deaktiviert und Sie überall abgemeldet. Sie können sie auf Ihrer Kontoseite erneut einrichten.
mail-code-used-subject = Ein Wiederherstellungscode wurde verwendet
mail-code-used-1 = Ein Wiederherstellungscode wurde zur Anmeldung bei Ihrem Konto verwendet. { $left ->
    [one] Es bleibt { $left } unbenutzter Code; jeder funktioniert nur einmal.
   *[other] Es bleiben { $left } unbenutzte Codes; jeder funktioniert nur einmal.
}
mail-codes-new-subject = Neue Wiederherstellungscodes
mail-codes-new-1 = Für Ihr Konto wurden neue Wiederherstellungscodes erzeugt. Die alten funktionieren nicht mehr.

## Passkeys (docs/passkeys.md)
passkey-heading = Passkeys
passkey-line = Hinzugefügt { $created }
passkey-last-used = zuletzt benutzt { $used }
passkey-rename = Umbenennen
passkey-name = Name
passkey-rename-button = Namen speichern
passkey-remove = Entfernen
passkey-remove-named = Passkey { $name } entfernen
passkey-none = Noch keine Passkeys.
passkey-add = Passkey hinzufügen
passkey-add-title = Passkey hinzufügen
passkey-needs-script = Zum Hinzufügen eines Passkeys braucht dieser Browser JavaScript.
passkey-add-intro = Geben Sie dem Passkey einen Namen, den Sie wiedererkennen (das Gerät oder der Schlüssel, auf dem er liegt), und folgen Sie dann der Aufforderung Ihres Browsers.
passkey-create = Passkey erstellen
passkey-cancelled = Der Passkey wurde nicht verwendet. Versuchen Sie es erneut oder melden Sie sich anders an.
passkey-back = Zurück zu Ihrem Konto
passkey-sign-in = Mit Passkey anmelden
passkey-use = Passkey verwenden
passkey-too-many = Sie haben so viele Passkeys wie erlaubt. Entfernen Sie zuerst einen.
passkey-name-invalid = Geben Sie dem Passkey einen Namen mit höchstens 64 Zeichen.
passkey-refused = Dieser Passkey wurde nicht akzeptiert.
passkey-expired = Das hat zu lange gedauert oder wurde schon verwendet. Versuchen Sie es erneut.
passkey-sign-in-refused = Mit diesem Passkey war keine Anmeldung möglich.
account-done-passkey-added = Ihr Passkey wurde hinzugefügt.
account-done-passkey-renamed = Der Passkey wurde umbenannt.
account-done-passkey-removed = Der Passkey wurde entfernt.
mail-passkey-added-subject = Ihrem Konto wurde ein Passkey hinzugefügt
mail-passkey-added-1 = Ihrem Konto wurde ein Passkey namens „{ $name }“ hinzugefügt. Er kann Sie jetzt anmelden.
mail-passkey-removed-subject = Ein Passkey wurde aus Ihrem Konto entfernt
mail-passkey-removed-1 = Der Passkey namens „{ $name }“ wurde aus Ihrem Konto entfernt.
code-intro-passkey = Schließen Sie die Anmeldung als { $username } mit Ihrem Passkey ab oder geben Sie unten einen Code ein.
account-two-factor-passkeys = Ihre Passkeys sind Ihr zweiter Faktor. Sie können zusätzlich eine Authenticator-App einrichten.
codes-intro-passkey = Ihr Passkey wurde hinzugefügt. Mit diesen Codes melden Sie sich an, falls Sie ihn verlieren.
