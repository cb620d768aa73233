# Gatehouse — Nederlandse teksten (vertaald uit de referentiecatalogus locales/en.ftl: daar staat elke sleutel).
# Deze catalogus vertaalt elke sleutel van het Engelse bestand; een beheerder overschrijft losse teksten in
# <portal.templates_dir>/locales/<tag>.ftl. Argumenten ($name) worden ge-escapet waar ze worden getoond.

language-name = Nederlands

## Kader van elke pagina

frame-signed-in-as = Ingelogd als { $who }
frame-portal-home = Startpagina van het portaal
frame-sign-out-or-switch = Uitloggen of van account wisselen
frame-request = Verzoek { $id }
frame-language = Taal
frame-language-change = Wijzigen
frame-show = Tonen
frame-hide = Verbergen
frame-show-field = { $field } tonen

## Algemene woorden

common-username = Gebruikersnaam
common-password = Wachtwoord
common-email = E-mail
common-name = Naam
common-groups = Groepen
common-status = Status
common-sign-in = Inloggen
common-sign-out = Uitloggen
common-cancel = Annuleren
common-save = Opslaan
common-none = geen
common-back-to-sign-in = Terug naar inloggen
common-back-to-account = Terug naar accountbeveiliging
common-back-to-users = Terug naar de gebruikers
common-account-security = Accountbeveiliging
common-admin = Beheer
common-groups-hint = Gescheiden door komma's, bijv. { $example }.
common-password-hint = Minstens { $min } tekens. Een paar losse woorden die niets met elkaar te maken hebben, werken goed; verder zijn er geen regels.
common-new-password = Nieuw wachtwoord
common-new-password-again = Herhaal nieuw wachtwoord
common-code-or-recovery = Huidige code of herstelcode
common-this-device = Dit apparaat
common-device-on = { $browser } op { $platform }
common-unknown-device = Onbekend apparaat
common-verbatim = { $text }
common-signed-in-at = ingelogd
common-last-active = laatst actief
common-sign-out-session = { $device } vanaf { $ip } uitloggen (sessie { $handle })
common-session-not-found = Die sessie is niet gevonden. Mogelijk is ze al beëindigd.
common-confirmed-repeat = Wachtwoord bevestigd. De actie is nog niet uitgevoerd: herhaal ze nu.
common-too-many-attempts = Te veel mislukte pogingen. Probeer het over { $wait } opnieuw.
common-form-expired = Dit formulier was verlopen, dus er is niets gewijzigd. Controleer het en verstuur het opnieuw.

## Tijdsduur

span-minutes = { $n ->
    [one] { $n } minuut
   *[other] { $n } minuten
}
span-hours = { $n ->
    [one] { $n } uur
   *[other] { $n } uur
}
span-days = { $n ->
    [one] { $n } dag
   *[other] { $n } dagen
}
span-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } seconden
}

## Inloggen

login-title = Inloggen
login-remember = Op dit apparaat { $days } dagen ingelogd blijven
login-forgot = Wachtwoord vergeten?
login-failed = Gebruikersnaam of wachtwoord is onjuist.
login-busy = Er worden nu veel aanmeldingen verwerkt. Probeer het over een paar seconden opnieuw.
login-session-ended = Je sessie is beëindigd. Log opnieuw in om verder te gaan.
login-form-incomplete = Het formulier was onvolledig. Probeer het opnieuw.

## Tweede factor

code-title = Tweestapsverificatie
code-intro-recovery = Voer een van de herstelcodes in die je voor { $username } hebt bewaard. Elke code werkt maar één keer.
code-intro-app = Voer de 6-cijferige code uit je authenticator-app voor { $username } in.
code-label-recovery = Herstelcode
code-label-app = Code uit je authenticator-app
code-trust-device = Dit apparaat { $days } dagen vertrouwen
code-verify = Verifiëren
code-use-app = Gebruik in plaats daarvan de code uit je app
code-use-recovery = Gebruik in plaats daarvan een herstelcode
code-someone-else = Inloggen als iemand anders
code-invalid = Ongeldige code.
code-too-many = Te veel onjuiste codes. Log opnieuw in.
code-sign-in-expired = Je inlogpoging is verlopen. Log opnieuw in.

## Startpagina van het portaal en uitloggen

home-title = Ingelogd
home-signed-in-as = Je bent ingelogd als { $name } ({ $username }).
home-your-apps = Je apps
home-two-factor-tag = tweestaps
logout-title = Uitloggen?
logout-question = Je bent ingelogd als { $name } ({ $username }). Uitloggen bij alle apps achter dit portaal?
signed-out-title = Uitgelogd
signed-out-heading = Je bent uitgelogd
signed-out-message = Je sessie is op de server beëindigd.
signed-out-again = Opnieuw inloggen

## Accountbeveiliging

account-title = Accountbeveiliging
account-two-factor = Tweestapsverificatie
account-two-factor-on = Ingeschakeld.
account-codes-unused = { $left ->
    [one] ongebruikte herstelcode.
   *[other] ongebruikte herstelcodes.
}
account-two-factor-off = Uitgeschakeld.
account-regenerate = Nieuwe herstelcodes genereren
account-regenerate-button = Nieuwe codes genereren
account-turn-off = Tweestapsverificatie uitschakelen
account-turn-off-button = Uitschakelen
account-set-up-2fa = Tweestapsverificatie instellen
account-change-password = Wachtwoord wijzigen
account-devices = Onthouden apparaten
account-device-line = { $ip } · onthouden { $created } · tot { $expires }
account-forget = Vergeten
account-forget-device = { $device } vergeten
account-no-devices = Geen. Op een apparaat dat je bij het inloggen vertrouwt, hoef je { $days } dagen geen code in te voeren.
account-sessions = Sessies
account-sessions-link = Actieve sessies
account-sessions-hint = waar je bent ingelogd; andere apparaten uitloggen.
account-administration = Beheer
account-admin-link = Beheeromgeving
account-admin-hint = gebruikers, wachtwoorden, sessies.
account-done-password = Je wachtwoord is gewijzigd. Alle andere sessies zijn uitgelogd; deze sessie blijft actief.
account-done-2fa-off = Tweestapsverificatie is uitgeschakeld.
account-done-device = Dat apparaat wordt de volgende keer dat het inlogt om een code gevraagd.
account-wrong-password-or-code = Het wachtwoord of de code was onjuist. Er is niets gewijzigd.

## Opnieuw bevestigen

reauth-title = Bevestig je wachtwoord
reauth-intro = Voor het wijzigen van beveiligingsinstellingen is je wachtwoord opnieuw nodig.
reauth-continue = Doorgaan
reauth-wrong = Onjuist wachtwoord.
reauth-kept = Zodra je wachtwoord is bevestigd, wordt uitgevoerd wat je vroeg: je hoeft het niet te herhalen.

## Tweestapsverificatie instellen en herstelcodes

enroll-title = Tweestapsverificatie instellen
enroll-scan = Scan deze code met een authenticator-app en voer daarna de 6-cijferige code in die de app toont.
enroll-qr-label = QR-code met de instelsleutel die hieronder als tekst staat
enroll-by-hand = Lukt scannen niet? Voer deze sleutel handmatig in (tijdgebaseerd, SHA-1, 6 cijfers, 30 seconden):
enroll-on-phone = Of, op de telefoon zelf,
enroll-open-link = open de sleutel in een authenticator-app
enroll-link-as-text = Dezelfde link als tekst:
enroll-code = Code uit de app
enroll-turn-on = Inschakelen
enroll-mismatch = Die code klopt niet. Controleer de tijd op je telefoon en probeer de volgende code.
codes-title = Je herstelcodes
codes-page-title = Herstelcodes
codes-intro-new = Tweestapsverificatie is ingeschakeld.
codes-intro-regenerated = Je oude herstelcodes werken niet meer.
codes-explain = Elke code werkt maar één keer, voor als je telefoon niet bij de hand is. Bewaar ze op een veilige plek: ze worden alleen nu getoond.
codes-label = Herstelcodes
codes-copy = Kopiëren
codes-copied = Gekopieerd
codes-download = Downloaden als tekst
codes-continue = Ik heb ze bewaard, doorgaan

## Wachtwoorden

password-title-change = Wachtwoord wijzigen
password-title-forced = Nieuw wachtwoord instellen
password-forced-notice = Je beheerder vraagt je een nieuw wachtwoord te kiezen voordat je verdergaat.
password-current = Huidig wachtwoord
password-code = Code uit je authenticator-app, of een herstelcode
password-submit = Wachtwoord wijzigen
password-others-signed-out = Alle andere sessies worden uitgelogd.
password-current-wrong = Het huidige wachtwoord is onjuist.
password-code-wrong = De code is onjuist.
password-too-short = Gebruik minstens { $min } tekens.
password-too-long = Gebruik hoogstens { $max } bytes.
password-predictable = Baseer het wachtwoord niet op je gebruikersnaam of de naam van deze dienst.
password-control-characters = Het wachtwoord bevat stuurtekens.
password-too-common = Dit wachtwoord komt te vaak voor en is makkelijk te raden. Probeer een paar losse woorden die niets met elkaar te maken hebben.
password-mismatch = De twee nieuwe wachtwoorden zijn niet gelijk.
password-refused = Het wachtwoord is geweigerd. { $why }
forgot-title = Wachtwoord vergeten
forgot-heading = Wachtwoord vergeten?
forgot-intro = Voer je gebruikersnaam of e-mailadres in. Als er een account bij past, sturen we een link om een nieuw wachtwoord te kiezen.
forgot-who = Gebruikersnaam of e-mail
forgot-send = Link versturen
forgot-too-many = Te veel verzoeken vanaf je netwerk. Probeer het over een paar minuten opnieuw.
forgot-sent-title = Controleer je e-mail
forgot-sent = Als er een account past bij wat je hebt ingevuld, is er een link onderweg om een nieuw wachtwoord te kiezen. De link werkt maar één keer en is { $valid } geldig. Geen e-mail ontvangen? Kijk in de spammap of vraag het je beheerder.
reset-title = Kies een nieuw wachtwoord
reset-for = Voor { $username }. Alle sessies van het account worden uitgelogd.
reset-submit = Wachtwoord instellen
reset-invalid-title = Ongeldige link
reset-invalid = Deze link is ongeldig of verlopen. Vraag een nieuwe aan.
reset-ask-again = Nieuwe link aanvragen
reset-done-title = Wachtwoord gewijzigd
reset-done = Je nieuwe wachtwoord is ingesteld en alle sessies van het account zijn uitgelogd. Log in met het nieuwe wachtwoord.

## Actieve sessies

sessions-title = Actieve sessies
sessions-intro = Waar { $username } is ingelogd. Een sessie uitloggen beëindigt die direct op de server.
sessions-revoke-others = Alle andere sessies uitloggen
sessions-none-other = Geen andere sessies.
sessions-confirmed = Wachtwoord bevestigd. Kies nu opnieuw de sessie die je wilt uitloggen.
sessions-done-revoked = De sessie is uitgelogd.
sessions-done-others = Alle andere sessies zijn uitgelogd.

## Beheeromgeving

admin-users-title = Gebruikers
admin-area-line = Beheeromgeving · ingelogd als { $username }
admin-search-label = Gebruikers zoeken
admin-search-placeholder = Gebruikersnaam, naam of e-mail
admin-search = Zoeken
admin-create-user = Gebruiker aanmaken
admin-found = Resultaten voor ‘{ $q }’: { $found } van { $total } gebruikers.
admin-show-all = Alles tonen
admin-truncated = Alleen de eerste { $max } worden getoond: zoek om de lijst te verkleinen.
admin-tag-disabled = uitgeschakeld
admin-tag-2fa = 2FA aan
admin-tag-must-change = moet wachtwoord wijzigen
admin-no-users = Geen gebruikers.
admin-no-match = Geen gebruikers gevonden.
admin-field-two-factor = Tweestapsverificatie
admin-field-created = Aangemaakt
admin-created-line = { $created } · laatst gewijzigd { $updated }
admin-tag-active = actief
admin-tag-admin = beheerder
admin-on = aan
admin-off = uit
admin-must-change-yes = moet bij de volgende keer inloggen worden gewijzigd
admin-must-change-no = door de gebruiker ingesteld
admin-profile-heading = Naam, e-mail en groepen
admin-display-name = Weergavenaam
admin-display-name-hint = Leeg: de gebruikersnaam wordt gebruikt.
admin-email-hint = Een nieuw adres maakt resetlinks ongeldig die naar het oude adres zijn gemaild.
admin-groups-own = Je eigen groepen kun je hier niet wijzigen.
admin-groups-sessions = De sessies van de gebruiker krijgen de nieuwe groepen direct.
admin-own-password = Wijzig je eigen wachtwoord op je accountpagina.
admin-mode-temporary = Een tijdelijk wachtwoord instellen dat één keer aan jou wordt getoond (alle sessies eindigen)
admin-mode-link = Een resetlink mailen naar { $email } (je ziet die zelf nooit)
admin-no-notifier = Er is geen e-mailverzending ingesteld, dus resetlinks kunnen niet worden verstuurd.
admin-no-email = De gebruiker heeft geen e-mailadres, dus er kan geen resetlink worden verstuurd.
admin-must-change-next = Moet bij de volgende keer inloggen een nieuw wachtwoord kiezen (tijdelijk wachtwoord)
admin-reset-password = Wachtwoord resetten
admin-account = Account
admin-enable = Inschakelen
admin-disable = Uitschakelen (beëindigt direct alle sessies)
admin-unlock = Ontgrendelen (inlogblokkades opheffen)
admin-reset-2fa = Tweestapsverificatie resetten
admin-delete-link = Gebruiker verwijderen…
admin-myself = Je kunt hier je eigen account niet uitschakelen of verwijderen, en ook je eigen tweestapsverificatie niet resetten.
admin-sessions = Sessies
admin-current-session = je huidige sessie
admin-two-factors = twee factoren
admin-no-sessions = Geen actieve sessies.
admin-revoke-all = Alle sessies uitloggen
admin-step-up-note = Elke actie hier vereist dat je je wachtwoord in de afgelopen paar minuten hebt ingevoerd, en wordt vastgelegd in het auditlog.
admin-user-title = Gebruiker { $username }
admin-done-created = De gebruiker is aangemaakt.
admin-done-invited = De gebruiker is aangemaakt en heeft per e-mail een uitnodigingslink gekregen om een wachtwoord te kiezen.
admin-done-link = Er is een link om het wachtwoord te resetten naar de gebruiker gemaild. Het wachtwoord blijft ongewijzigd totdat de link wordt gebruikt.
admin-done-disabled = Het account is uitgeschakeld en alle bijbehorende sessies zijn beëindigd.
admin-done-enabled = Het account is weer ingeschakeld.
admin-done-unlocked = De inlogblokkades van het account zijn opgeheven.
admin-done-2fa = Tweestapsverificatie is uitgeschakeld; de sessies van de gebruiker zijn beëindigd, de onthouden apparaten vergeten, en er is een melding gemaild.
admin-done-revoked = De sessie is uitgelogd.
admin-done-revoked-all = Alle sessies van de gebruiker zijn uitgelogd.
admin-done-profile = De naam, het e-mailadres en de groepen zijn opgeslagen.
admin-done-deleted = De gebruiker is verwijderd en alle bijbehorende sessies zijn beëindigd.
admin-choose-mode = Kies een tijdelijk wachtwoord of een resetlink.
admin-link-no-notifier = Er is geen e-mailverzending ingesteld: gebruik een tijdelijk wachtwoord.
admin-link-no-email = De gebruiker heeft geen e-mailadres: gebruik een tijdelijk wachtwoord.
admin-link-disabled = Het account is uitgeschakeld, dus een resetlink zou niet werken: schakel het eerst in.
admin-own-set-password = Je eigen wachtwoord kun je hier niet resetten: wijzig het op je accountpagina.
admin-own-disable = Je kunt je eigen account niet uitschakelen.
admin-own-reset-2fa = Je eigen tweestapsverificatie kun je hier niet resetten: schakel die uit op je accountpagina.
admin-own-current-session = Dit is je huidige sessie: gebruik in plaats daarvan ‘Uitloggen’.
admin-own-revoke-all = Daarmee zou ook je huidige sessie eindigen: gebruik ‘Alle andere sessies uitloggen’ op je sessiepagina.
admin-own-delete = Je kunt je eigen account niet verwijderen.
admin-own-groups = Je eigen groepen kun je hier niet wijzigen (en je kunt de beheerdersgroep ook niet verlaten): vraag het een andere beheerder.
admin-2fa-not-on = Tweestapsverificatie is niet ingeschakeld voor deze gebruiker.
admin-bad-display-name = De weergavenaam is ongeldig: { $why }.
admin-bad-email = Het e-mailadres is ongeldig: { $why }.
admin-bad-group = Een groepsnaam is ongeldig: { $why }.
admin-bad-username-or-group = De gebruikersnaam of een groepsnaam is ongeldig: { $why }.
admin-display-name-invalid = De weergavenaam is te lang of bevat stuurtekens.
admin-email-invalid = Het e-mailadres is ongeldig.
admin-user-exists = Er bestaat al een gebruiker met die naam.
admin-new-title = Nieuwe gebruiker
admin-username-hint = Kleine letters, cijfers, '.', '_', '-' en '@'.
admin-initial-password = Startwachtwoord
admin-initial-password-hint = Minstens { $min } tekens. Laat leeg om er een te genereren; het wordt één keer getoond op de volgende pagina.
admin-must-change-first = Moet bij de eerste keer inloggen een nieuw wachtwoord kiezen
admin-invite = In plaats daarvan een uitnodiging mailen: de gebruiker kiest zelf een wachtwoord via een link die maar één keer werkt en { $valid } geldig is (e-mailadres vereist)
admin-invite-no-notifier = Er is geen e-mailverzending ingesteld, dus er kan geen uitnodiging worden verstuurd.
admin-invite-no-email = Voor een uitnodiging is het e-mailadres van de gebruiker nodig.
admin-create = Gebruiker aanmaken
admin-created-title = Gebruiker aangemaakt
admin-temporary-title = Tijdelijk wachtwoord
admin-created-with = De gebruiker { $username } is aangemaakt met dit wachtwoord:
admin-new-password-of = Het nieuwe wachtwoord van { $username }:
admin-shown-once = Het wordt alleen nu getoond: geef het via een kanaal dat je vertrouwt door aan de gebruiker.
admin-they-must-change = De gebruiker moet een nieuw wachtwoord kiezen bij de eerste keer inloggen hiermee.
admin-they-keep = De gebruiker hoeft het niet te wijzigen.
admin-sessions-ended = Alle sessies van de gebruiker zijn beëindigd en de onthouden apparaten zijn vergeten.
admin-notice-mailed = Er is een melding naar de gebruiker gemaild.
admin-back-to = Terug naar { $username }
admin-all-users = Alle gebruikers
admin-delete-title = { $username } verwijderen?
admin-back-to-user = Terug naar de gebruiker
admin-delete-warning = Het account { $username } wordt verwijderd: inloggen is daarna niet meer mogelijk, { $sessions ->
    [0] eventuele sessies eindigen direct,
    [one] de { $sessions } actieve sessie eindigt direct,
   *[other] de { $sessions } actieve sessies eindigen direct,
} en het wachtwoord, de tweestapsverificatie en de onthouden apparaten verdwijnen. Dit kan niet ongedaan worden gemaakt.
admin-delete-named = { $username } ({ $name })
admin-delete-button = { $username } verwijderen
admin-delete-note = Dit vereist dat je je wachtwoord in de afgelopen paar minuten hebt ingevoerd, en wordt vastgelegd in het auditlog.

## Foutpagina's

error-bad-request = Ongeldig verzoek
error-not-found = Niet gevonden
error-not-found-text = Hier is geen pagina.
error-method = Methode niet toegestaan
error-method-text = Dit adres accepteert dit soort verzoek niet.
error-forbidden = Toegang geweigerd
error-forbidden-text = Je account heeft geen toegang tot deze pagina.
error-forbidden-who = Je bent ingelogd als { $who }, en dit account heeft geen toegang tot deze pagina.
error-two-factor = Tweestapsverificatie vereist
error-two-factor-text = Deze pagina vereist tweestapsverificatie, en die heeft je account nog niet. Stel die één keer in met een authenticator-app; daarna kom je hier terug.
error-two-factor-set-up = Tweestapsverificatie nu instellen
error-unknown-host = Onbekende site
error-unknown-host-text = Deze gateway bedient die hostnaam niet.
error-unknown-host-named = Deze gateway bedient { $host } niet.
error-go-to-portal = Naar het inlogportaal
error-too-large = Verzoek te groot
error-too-large-text = Het formulier of verzoek was groter dan toegestaan.
error-unavailable = Tijdelijk niet beschikbaar
error-unavailable-text = De inlogdienst is tijdelijk niet beschikbaar. Probeer het zo meteen opnieuw.
error-busy-text = Er worden nu veel aanmeldingen verwerkt, daarom is deze niet gecontroleerd. Probeer het over een paar seconden opnieuw.
error-bad-gateway = Applicatie onbereikbaar
error-bad-gateway-text = De applicatie achter deze gateway reageert niet.
error-timeout = Time-out van de applicatie
error-timeout-text = De applicatie achter deze gateway deed er te lang over om te antwoorden.
error-internal = Er is iets misgegaan
error-internal-text = De gateway kon het verzoek niet afronden.
error-switch-account = Inloggen als iemand anders
bad-request-repeated-header = Het verzoek herhaalt een header die maar één keer mag voorkomen.
bad-request-two-hosts = Het verzoek noemt twee verschillende hosts.
bad-request-no-host = Het verzoek bevat geen host.
bad-request-bad-host = De hostnaam is ongeldig.
bad-request-bad-path = Het pad is niet toegestaan: het gebruikt een codering of reeks die verkeerd gelezen kan worden.
bad-request-incomplete-form = Het formulier was onvolledig.
bad-request-language = Die taal wordt hier niet aangeboden.
bad-request-forwarded-for = X-Forwarded-For bevat niet het adres van de client.
bad-request-header-characters = Een header bevat tekens die niet zijn toegestaan.
bad-request-framing = Het verzoek bevat zowel Content-Length als Transfer-Encoding.

## Regels voor namen en adressen (zelfstandige zin na "… is ongeldig:")

rule-empty = de naam mag niet leeg zijn
rule-too-long = er zijn hoogstens { $max } tekens toegestaan
rule-bad-character = alleen a-z, 0-9, '.', '_', '-' en '@' zijn toegestaan
rule-control-characters = stuurtekens zijn niet toegestaan
rule-spaces = spaties zijn niet toegestaan
rule-email-form = het moet de vorm naam@domein hebben

## E-mail

mail-hello = Hallo { $name },
mail-when = Wanneer: { $when }
mail-from = Vanaf: { $from }
mail-from-value = { $device }, adres { $ip }
mail-your-account = Je account:
mail-signature = { $product } (account { $username })
mail-not-you = Was jij dit niet? Wijzig dan nu je wachtwoord en neem contact op met je beheerder.
mail-by-admin = Had je deze wijziging niet verwacht? Vraag je beheerder ernaar.
mail-reset-subject = Je wachtwoord resetten
mail-reset-1 = Iemand heeft gevraagd het wachtwoord van je account te resetten. Open deze link om een nieuw wachtwoord te kiezen:
mail-reset-2 = De link werkt maar één keer en is { $valid } geldig. Heb je er niet om gevraagd? Negeer dan dit bericht: je wachtwoord blijft ongewijzigd.
mail-invite-subject = Je nieuwe account
mail-invite-1 = Een beheerder heeft een account voor je aangemaakt. Open deze link om je wachtwoord te kiezen en in te loggen:
mail-invite-2 = De link werkt maar één keer en is { $valid } geldig. Had je dit account niet verwacht? Negeer dan dit bericht.
mail-changed-subject = Je wachtwoord is gewijzigd
mail-changed-1 = Het wachtwoord van je account is gewijzigd en alle andere sessies zijn uitgelogd.
mail-changed-2 = Was jij dit niet? Reset dan nu je wachtwoord en neem contact op met je beheerder.
mail-admin-set-subject = Je wachtwoord is door een beheerder gereset
mail-admin-set-1 = Een beheerder heeft een nieuw wachtwoord voor je account ingesteld en je overal uitgelogd. De beheerder laat je het nieuwe wachtwoord weten; als daarom is gevraagd, kies je bij de volgende keer inloggen zelf een wachtwoord.
mail-2fa-on-subject = Tweestapsverificatie ingeschakeld
mail-2fa-on-1 = Tweestapsverificatie is nu ingeschakeld voor je account. Om in te loggen heb je een code uit je authenticator-app of een van je herstelcodes nodig.
mail-2fa-off-subject = Tweestapsverificatie uitgeschakeld
mail-2fa-off-1 = Tweestapsverificatie is uitgeschakeld voor je account. Je herstelcodes en onthouden apparaten werken niet meer.
mail-2fa-reset-subject = Tweestapsverificatie gereset door een beheerder
mail-2fa-reset-1 = Een beheerder heeft tweestapsverificatie voor je account uitgeschakeld en je overal uitgelogd. Je kunt het opnieuw instellen op je accountpagina.
mail-code-used-subject = Er is een herstelcode gebruikt
mail-code-used-1 = Er is een herstelcode gebruikt om in te loggen op je account. { $left ->
    [one] Er is nog { $left } ongebruikte code over; elke code werkt maar één keer.
   *[other] Er zijn nog { $left } ongebruikte codes over; elke code werkt maar één keer.
}
mail-codes-new-subject = Nieuwe herstelcodes
mail-codes-new-1 = Er zijn nieuwe herstelcodes gegenereerd voor je account. De oude werken niet meer.

## Passkeys (docs/passkeys.md)
passkey-heading = Passkeys
passkey-line = Toegevoegd { $created }
passkey-last-used = laatst gebruikt { $used }
passkey-rename = Hernoemen
passkey-name = Naam
passkey-rename-button = Naam opslaan
passkey-remove = Verwijderen
passkey-remove-named = Passkey { $name } verwijderen
passkey-none = Nog geen passkeys.
passkey-add = Passkey toevoegen
passkey-add-title = Passkey toevoegen
passkey-needs-script = Voor het toevoegen van een passkey heeft deze browser JavaScript nodig.
passkey-add-intro = Geef de passkey een naam die u herkent (het apparaat of de sleutel waarop hij staat) en volg daarna de aanwijzingen van uw browser.
passkey-create = Passkey maken
passkey-cancelled = De passkey is niet gebruikt. Probeer het opnieuw of meld u op een andere manier aan.
passkey-back = Terug naar uw account
passkey-sign-in = Aanmelden met een passkey
passkey-use = Een passkey gebruiken
passkey-too-many = U hebt zoveel passkeys als toegestaan. Verwijder er eerst een.
passkey-name-invalid = Geef de passkey een naam van hoogstens 64 tekens.
passkey-refused = Die passkey is niet geaccepteerd.
passkey-expired = Dat duurde te lang of is al gebruikt. Probeer het opnieuw.
passkey-sign-in-refused = Met die passkey bent u niet aangemeld.
account-done-passkey-added = Uw passkey is toegevoegd.
account-done-passkey-renamed = De passkey is hernoemd.
account-done-passkey-removed = De passkey is verwijderd.
mail-passkey-added-subject = Er is een passkey aan uw account toegevoegd
mail-passkey-added-1 = Er is een passkey met de naam „{ $name }” aan uw account toegevoegd. Daarmee kunt u zich nu aanmelden.
mail-passkey-removed-subject = Er is een passkey uit uw account verwijderd
mail-passkey-removed-1 = De passkey met de naam „{ $name }” is uit uw account verwijderd.
code-intro-passkey = Gebruik uw passkey om het aanmelden als { $username } af te ronden, of voer hieronder een code in.
account-two-factor-passkeys = Uw passkeys zijn uw tweede factor. U kunt ook een authenticator-app instellen.
codes-intro-passkey = Uw passkey is toegevoegd. Met deze codes meldt u zich aan als u hem kwijtraakt.
