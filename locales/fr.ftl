# Gatehouse — messages en français (traduction du catalogue de référence anglais, en.ftl, qui contient chaque clé).
# Ce catalogue traduit chaque clé de en.ftl ; un opérateur remplace des messages isolés dans
# <portal.templates_dir>/locales/fr.ftl. Les arguments ($name) sont échappés là où ils s'affichent.

language-name = Français

## Cadre de chaque page

frame-signed-in-as = Connecté en tant que { $who }
frame-portal-home = Accueil du portail
frame-sign-out-or-switch = Se déconnecter ou changer de compte
frame-request = Requête { $id }
frame-language = Langue
frame-language-change = Changer
frame-show = Afficher
frame-hide = Masquer
frame-show-field = Afficher { $field }

## Mots courants

common-username = Nom d'utilisateur
common-password = Mot de passe
common-email = E-mail
common-name = Nom
common-groups = Groupes
common-status = Statut
common-sign-in = Se connecter
common-sign-out = Se déconnecter
common-cancel = Annuler
common-save = Enregistrer
common-none = aucun
common-back-to-sign-in = Retour à la connexion
common-back-to-account = Retour à la sécurité du compte
common-back-to-users = Retour aux utilisateurs
common-account-security = Sécurité du compte
common-admin = Administration
common-groups-hint = Séparés par des virgules, p. ex. { $example }.
common-password-hint = Au moins { $min } caractères. Plusieurs mots sans lien entre eux conviennent bien ; aucune autre règle.
common-new-password = Nouveau mot de passe
common-new-password-again = Confirmer le nouveau mot de passe
common-code-or-recovery = Code actuel ou code de récupération
common-this-device = Cet appareil
common-device-on = { $browser } sous { $platform }
common-unknown-device = Appareil inconnu
common-verbatim = { $text }
common-signed-in-at = connexion le
common-last-active = dernière activité le
common-sign-out-session = Déconnecter { $device } ({ $ip }, session { $handle })
common-session-not-found = Cette session est introuvable. Elle a peut-être déjà pris fin.
common-confirmed-repeat = Mot de passe confirmé. Recommencez maintenant l'action : elle n'a pas encore été effectuée.
common-too-many-attempts = Trop de tentatives échouées. Réessayez dans { $wait }.
common-form-expired = Ce formulaire avait expiré, rien n'a donc été modifié. Vérifiez-le et envoyez-le à nouveau.

## Durées

span-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
span-hours = { $n ->
    [one] { $n } heure
   *[other] { $n } heures
}
span-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
}
span-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } secondes
}

## Connexion

login-title = Connexion
login-remember = Rester connecté sur cet appareil pendant { $days } jours
login-forgot = Mot de passe oublié ?
login-failed = Nom d'utilisateur ou mot de passe incorrect.
login-busy = De nombreuses connexions sont en cours. Réessayez dans quelques secondes.
login-session-ended = Votre session a pris fin. Reconnectez-vous pour continuer.
login-form-incomplete = Le formulaire était incomplet. Réessayez.

## Second facteur

code-title = Authentification à deux facteurs
code-intro-recovery = Saisissez l'un des codes de récupération que vous avez enregistrés pour { $username }. Chaque code ne fonctionne qu'une fois.
code-intro-app = Saisissez le code à 6 chiffres de votre application d'authentification pour { $username }.
code-label-recovery = Code de récupération
code-label-app = Code de votre application d'authentification
code-trust-device = Faire confiance à cet appareil pendant { $days } jours
code-verify = Vérifier
code-use-app = Utiliser plutôt le code de votre application
code-use-recovery = Utiliser plutôt un code de récupération
code-someone-else = Se connecter avec un autre compte
code-invalid = Code non valide.
code-too-many = Trop de codes erronés. Reconnectez-vous.
code-sign-in-expired = Votre connexion a expiré. Reconnectez-vous.

## Accueil du portail et déconnexion

home-title = Connecté
home-signed-in-as = Vous êtes connecté en tant que { $name } ({ $username }).
home-your-apps = Vos applications
home-two-factor-tag = deux facteurs
logout-title = Se déconnecter ?
logout-question = Vous êtes connecté en tant que { $name } ({ $username }). Vous déconnecter de toutes les applications protégées par ce portail ?
signed-out-title = Déconnecté
signed-out-heading = Vous êtes déconnecté
signed-out-message = Votre session a pris fin sur le serveur.
signed-out-again = Se reconnecter

## Sécurité du compte

account-title = Sécurité du compte
account-two-factor = Authentification à deux facteurs
account-two-factor-on = Activée.
account-codes-unused = { $left ->
    [one] code de récupération inutilisé.
   *[other] codes de récupération inutilisés.
}
account-two-factor-off = Désactivée.
account-regenerate = Générer de nouveaux codes de récupération
account-regenerate-button = Générer de nouveaux codes
account-turn-off = Désactiver l'authentification à deux facteurs
account-turn-off-button = Désactiver
account-set-up-2fa = Configurer l'authentification à deux facteurs
account-change-password = Changer le mot de passe
account-devices = Appareils mémorisés
account-device-line = { $ip } · mémorisé le { $created } · jusqu'au { $expires }
account-forget = Oublier
account-forget-device = Oublier { $device }
account-no-devices = Aucun. Un appareil auquel vous faites confiance à la connexion se passe du code pendant { $days } jours.
account-sessions = Sessions
account-sessions-link = Sessions actives
account-sessions-hint = où vous êtes connecté ; déconnectez d'autres appareils.
account-administration = Administration
account-admin-link = Espace d'administration
account-admin-hint = utilisateurs, mots de passe, sessions.
account-done-password = Votre mot de passe a été changé. Toutes les autres sessions ont été déconnectées ; celle-ci reste ouverte.
account-done-2fa-off = L'authentification à deux facteurs est désactivée.
account-done-device = Un code sera demandé à cet appareil lors de sa prochaine connexion.
account-wrong-password-or-code = Le mot de passe ou le code était incorrect. Rien n'a été modifié.

## Reconfirmation du mot de passe

reauth-title = Confirmez votre mot de passe
reauth-intro = La modification des paramètres de sécurité nécessite de saisir à nouveau votre mot de passe.
reauth-continue = Continuer
reauth-wrong = Mot de passe incorrect.
reauth-kept = Une fois votre mot de passe confirmé, ce que vous avez demandé est effectué : inutile de le refaire.

## Configuration de l'authentification à deux facteurs et codes de récupération

enroll-title = Configurer l'authentification à deux facteurs
enroll-scan = Scannez ce code avec une application d'authentification, puis saisissez le code à 6 chiffres qu'elle affiche.
enroll-qr-label = Code QR contenant la clé de configuration affichée en texte ci-dessous
enroll-by-hand = Impossible de le scanner ? Saisissez cette clé manuellement (basée sur le temps, SHA-1, 6 chiffres, 30 secondes) :
enroll-on-phone = Ou, sur le téléphone lui-même,
enroll-open-link = ouvrez la clé dans une application d'authentification
enroll-link-as-text = Le même lien en texte :
enroll-code = Code de l'application
enroll-turn-on = Activer
enroll-mismatch = Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et essayez le code suivant.
codes-title = Vos codes de récupération
codes-page-title = Codes de récupération
codes-intro-new = L'authentification à deux facteurs est activée.
codes-intro-regenerated = Vos anciens codes de récupération ne fonctionnent plus.
codes-explain = Chaque code ne fonctionne qu'une fois, quand vous n'avez pas votre téléphone sous la main. Conservez-les en lieu sûr : ils ne sont affichés que maintenant.
codes-label = Codes de récupération
codes-copy = Copier
codes-copied = Copié
codes-download = Télécharger en fichier texte
codes-continue = Je les ai enregistrés, continuer

## Mots de passe

password-title-change = Changer le mot de passe
password-title-forced = Définir un nouveau mot de passe
password-forced-notice = Votre administrateur vous demande de choisir un nouveau mot de passe avant de continuer.
password-current = Mot de passe actuel
password-code = Code de votre application d'authentification, ou code de récupération
password-submit = Changer le mot de passe
password-others-signed-out = Toutes les autres sessions seront déconnectées.
password-current-wrong = Le mot de passe actuel est incorrect.
password-code-wrong = Le code est incorrect.
password-too-short = Utilisez au moins { $min } caractères.
password-too-long = Utilisez au maximum { $max } octets.
password-predictable = Ne construisez pas le mot de passe à partir de votre nom d'utilisateur ou du nom de ce service.
password-control-characters = Le mot de passe contient des caractères de contrôle.
password-too-common = Ce mot de passe est trop courant et facile à deviner. Essayez quelques mots sans lien entre eux.
password-mismatch = Les deux nouveaux mots de passe ne sont pas identiques.
password-refused = Le mot de passe a été refusé : { $why }
forgot-title = Mot de passe oublié
forgot-heading = Mot de passe oublié ?
forgot-intro = Saisissez votre nom d'utilisateur ou votre adresse e-mail. Si un compte correspond, nous enverrons un lien pour choisir un nouveau mot de passe.
forgot-who = Nom d'utilisateur ou e-mail
forgot-send = Envoyer le lien
forgot-too-many = Trop de demandes depuis votre réseau. Réessayez dans quelques minutes.
forgot-sent-title = Consultez vos e-mails
forgot-sent = Si un compte correspond à ce que vous avez saisi, un lien pour choisir un nouveau mot de passe est en route. Il ne fonctionne qu'une fois, pendant { $valid }. Pas d'e-mail ? Vérifiez le dossier des spams ou adressez-vous à votre administrateur.
reset-title = Choisir un nouveau mot de passe
reset-for = Pour { $username }. Toutes les sessions du compte seront déconnectées.
reset-submit = Définir le mot de passe
reset-invalid-title = Lien non valide
reset-invalid = Ce lien n'est pas valide ou a expiré. Demandez-en un nouveau.
reset-ask-again = Demander un nouveau lien
reset-done-title = Mot de passe changé
reset-done = Votre nouveau mot de passe est défini et toutes les sessions du compte ont été déconnectées. Connectez-vous avec le nouveau mot de passe.

## Sessions actives

sessions-title = Sessions actives
sessions-intro = Les sessions ouvertes de { $username }. Déconnecter une session y met fin immédiatement sur le serveur.
sessions-revoke-others = Déconnecter toutes les autres sessions
sessions-none-other = Aucune autre session.
sessions-confirmed = Mot de passe confirmé. Choisissez maintenant à nouveau la session à déconnecter.
sessions-done-revoked = La session a été déconnectée.
sessions-done-others = Toutes les autres sessions ont été déconnectées.

## Espace d'administration

admin-users-title = Utilisateurs
admin-area-line = Espace d'administration · connecté en tant que { $username }
admin-search-label = Rechercher des utilisateurs
admin-search-placeholder = Nom d'utilisateur, nom ou e-mail
admin-search = Rechercher
admin-create-user = Créer un utilisateur
admin-found = { $found ->
    [one] { $found } utilisateur sur { $total } correspond à « { $q } ».
   *[other] { $found } utilisateurs sur { $total } correspondent à « { $q } ».
}
admin-show-all = Tout afficher
admin-truncated = Seuls les { $max } premiers sont affichés : lancez une recherche pour affiner la liste.
admin-tag-disabled = désactivé
admin-tag-2fa = 2FA activée
admin-tag-must-change = doit changer de mot de passe
admin-no-users = Aucun utilisateur.
admin-no-match = Aucun utilisateur ne correspond.
admin-field-two-factor = Authentification à deux facteurs
admin-field-created = Création
admin-created-line = { $created } · dernière modification le { $updated }
admin-tag-active = actif
admin-tag-admin = administrateur
admin-on = activée
admin-off = désactivée
admin-must-change-yes = à changer à la prochaine connexion
admin-must-change-no = défini par l'utilisateur
admin-profile-heading = Nom, e-mail et groupes
admin-display-name = Nom affiché
admin-display-name-hint = Vide : le nom d'utilisateur est utilisé à la place.
admin-email-hint = Une nouvelle adresse invalide les liens de réinitialisation envoyés à l'ancienne.
admin-groups-own = Vous ne pouvez pas modifier vos propres groupes ici.
admin-groups-sessions = Les sessions de l'utilisateur reçoivent immédiatement les nouveaux groupes.
admin-own-password = Changez votre propre mot de passe sur la page de votre compte.
admin-mode-temporary = Définir un mot de passe temporaire, qui vous est affiché une seule fois (toutes les sessions prennent fin)
admin-mode-link = Envoyer un lien de réinitialisation à { $email } (vous ne le voyez jamais)
admin-no-notifier = L'envoi d'e-mails n'est pas configuré : les liens de réinitialisation ne peuvent donc pas être envoyés.
admin-no-email = L'utilisateur n'a pas d'adresse e-mail : un lien de réinitialisation ne peut donc pas être envoyé.
admin-must-change-next = Doit choisir un nouveau mot de passe à la prochaine connexion (mot de passe temporaire)
admin-reset-password = Réinitialiser le mot de passe
admin-account = Compte
admin-enable = Activer
admin-disable = Désactiver (met fin immédiatement à toutes les sessions)
admin-unlock = Débloquer (lever les blocages de connexion)
admin-reset-2fa = Réinitialiser l'authentification à deux facteurs
admin-delete-link = Supprimer l'utilisateur…
admin-myself = Ici, vous ne pouvez ni désactiver ni supprimer votre propre compte, ni réinitialiser votre propre authentification à deux facteurs.
admin-sessions = Sessions
admin-current-session = votre session actuelle
admin-two-factors = deux facteurs
admin-no-sessions = Aucune session active.
admin-revoke-all = Déconnecter toutes les sessions
admin-step-up-note = Chaque action sur cette page nécessite votre mot de passe saisi au cours des dernières minutes, et elle est consignée dans le journal d'audit.
admin-user-title = Utilisateur { $username }
admin-done-created = L'utilisateur a été créé.
admin-done-invited = L'utilisateur a été créé et un lien d'invitation pour choisir son mot de passe lui a été envoyé par e-mail.
admin-done-link = Un lien de réinitialisation du mot de passe a été envoyé par e-mail à l'utilisateur. Son mot de passe reste inchangé tant qu'il ne l'a pas utilisé.
admin-done-disabled = Le compte est désactivé et toutes ses sessions ont pris fin.
admin-done-enabled = Le compte est de nouveau activé.
admin-done-unlocked = Les blocages de connexion du compte sont levés.
admin-done-2fa = L'authentification à deux facteurs a été désactivée ; les sessions et les appareils mémorisés de l'utilisateur ont pris fin, et une notification a été envoyée par e-mail.
admin-done-revoked = La session a été déconnectée.
admin-done-revoked-all = Toutes les sessions de l'utilisateur ont été déconnectées.
admin-done-profile = Le nom, l'adresse e-mail et les groupes ont été enregistrés.
admin-done-deleted = L'utilisateur a été supprimé et toutes ses sessions ont pris fin.
admin-choose-mode = Choisissez un mot de passe temporaire ou un lien de réinitialisation.
admin-link-no-notifier = L'envoi d'e-mails n'est pas configuré : utilisez un mot de passe temporaire.
admin-link-no-email = L'utilisateur n'a pas d'adresse e-mail : utilisez un mot de passe temporaire.
admin-link-disabled = Le compte est désactivé, un lien de réinitialisation ne fonctionnerait donc pas : activez-le d'abord.
admin-own-set-password = Vous ne pouvez pas réinitialiser votre propre mot de passe ici : changez-le sur la page de votre compte.
admin-own-disable = Vous ne pouvez pas désactiver votre propre compte.
admin-own-reset-2fa = Vous ne pouvez pas réinitialiser votre propre authentification à deux facteurs ici : désactivez-la sur la page de votre compte.
admin-own-current-session = C'est votre session actuelle : utilisez plutôt « Se déconnecter ».
admin-own-revoke-all = Cela mettrait aussi fin à votre session actuelle : utilisez « Déconnecter toutes les autres sessions » sur votre page des sessions.
admin-own-delete = Vous ne pouvez pas supprimer votre propre compte.
admin-own-groups = Vous ne pouvez pas modifier vos propres groupes ici (ni quitter le groupe des administrateurs) : demandez à un autre administrateur.
admin-2fa-not-on = L'authentification à deux facteurs n'est pas activée pour cet utilisateur.
admin-bad-display-name = Le nom affiché n'est pas valide : { $why }.
admin-bad-email = L'adresse e-mail n'est pas valide : { $why }.
admin-bad-group = Un nom de groupe n'est pas valide : { $why }.
admin-bad-username-or-group = Le nom d'utilisateur ou un nom de groupe n'est pas valide : { $why }.
admin-display-name-invalid = Le nom affiché est trop long ou contient des caractères de contrôle.
admin-email-invalid = L'adresse e-mail n'est pas valide.
admin-user-exists = Un utilisateur portant ce nom existe déjà.
admin-new-title = Nouvel utilisateur
admin-username-hint = Lettres minuscules, chiffres, '.', '_', '-' et '@'.
admin-initial-password = Mot de passe initial
admin-initial-password-hint = Au moins { $min } caractères. Laissez vide pour en générer un, affiché une seule fois sur la page suivante.
admin-must-change-first = Doit choisir un nouveau mot de passe à la première connexion
admin-invite = Envoyer plutôt une invitation par e-mail : l'utilisateur choisit lui-même son mot de passe via un lien qui ne fonctionne qu'une fois, pendant { $valid } (adresse e-mail requise)
admin-invite-no-notifier = L'envoi d'e-mails n'est pas configuré : une invitation ne peut donc pas être envoyée.
admin-invite-no-email = Une invitation nécessite l'adresse e-mail de l'utilisateur.
admin-create = Créer l'utilisateur
admin-created-title = Utilisateur créé
admin-temporary-title = Mot de passe temporaire
admin-created-with = L'utilisateur { $username } a été créé avec ce mot de passe :
admin-new-password-of = Le nouveau mot de passe de { $username } :
admin-shown-once = Il n'est affiché que maintenant : transmettez-le à l'utilisateur par un canal de confiance.
admin-they-must-change = L'utilisateur devra choisir un nouveau mot de passe lors de sa première connexion avec celui-ci.
admin-they-keep = Il ne lui sera pas demandé de le changer.
admin-sessions-ended = Toutes les sessions de l'utilisateur ont pris fin et ses appareils mémorisés sont oubliés.
admin-notice-mailed = Une notification lui a été envoyée par e-mail.
admin-back-to = Retour à { $username }
admin-all-users = Tous les utilisateurs
admin-delete-title = Supprimer { $username } ?
admin-back-to-user = Retour à l'utilisateur
admin-delete-warning = Le compte { $username } sera supprimé : l'utilisateur ne pourra plus se connecter, { $sessions ->
    [0] toute session ouverte à son nom prendra fin immédiatement,
    [one] sa session active prendra fin immédiatement,
   *[other] ses { $sessions } sessions actives prendront fin immédiatement,
} et son mot de passe, son authentification à deux facteurs et ses appareils mémorisés seront effacés. Cette action est irréversible.
admin-delete-named = { $username } ({ $name })
admin-delete-button = Supprimer { $username }
admin-delete-note = Cette action nécessite votre mot de passe saisi au cours des dernières minutes, et elle est consignée dans le journal d'audit.

## Pages d'erreur

error-bad-request = Requête incorrecte
error-not-found = Page introuvable
error-not-found-text = Il n'y a aucune page à cette adresse.
error-method = Méthode non autorisée
error-method-text = Cette adresse n'accepte pas ce type de requête.
error-forbidden = Accès refusé
error-forbidden-text = Votre compte n'est pas autorisé à ouvrir cette page.
error-forbidden-who = Vous êtes connecté en tant que { $who }, et ce compte n'est pas autorisé à ouvrir cette page.
error-two-factor = Authentification à deux facteurs requise
error-two-factor-text = Cette page exige l'authentification à deux facteurs, que votre compte n'a pas encore. Configurez-la une fois avec une application d'authentification ; vous reviendrez ici ensuite.
error-two-factor-set-up = Configurer l'authentification à deux facteurs maintenant
error-unknown-host = Site inconnu
error-unknown-host-text = Cette passerelle ne dessert pas ce nom d'hôte.
error-unknown-host-named = Cette passerelle ne dessert pas { $host }.
error-go-to-portal = Aller au portail de connexion
error-too-large = Requête trop volumineuse
error-too-large-text = Le formulaire ou la requête dépassait la taille autorisée.
error-unavailable = Temporairement indisponible
error-unavailable-text = Le service de connexion est temporairement indisponible. Réessayez dans un instant.
error-busy-text = De nombreuses connexions sont en cours : celle-ci n'a pas été vérifiée. Réessayez dans quelques secondes.
error-bad-gateway = Application injoignable
error-bad-gateway-text = L'application derrière cette passerelle ne répond pas.
error-timeout = Délai de réponse de l'application dépassé
error-timeout-text = L'application derrière cette passerelle a mis trop de temps à répondre.
error-internal = Une erreur s'est produite
error-internal-text = La passerelle n'a pas pu traiter la requête.
error-switch-account = Se connecter avec un autre compte
bad-request-repeated-header = La requête répète un en-tête qui ne doit apparaître qu'une fois.
bad-request-two-hosts = La requête indique deux hôtes différents.
bad-request-no-host = La requête n'indique aucun hôte.
bad-request-bad-host = Le nom d'hôte n'est pas valide.
bad-request-bad-path = Le chemin n'est pas autorisé : il utilise un encodage ou une séquence susceptible d'être mal interprétée.
bad-request-incomplete-form = Le formulaire était incomplet.
bad-request-language = Cette langue n'est pas proposée ici.
bad-request-forwarded-for = X-Forwarded-For n'indique pas l'adresse du client.
bad-request-header-characters = Un en-tête contient des caractères non autorisés.
bad-request-framing = La requête contient à la fois Content-Length et Transfer-Encoding.

## Règles des noms et des adresses (affichées après « … n'est pas valide : »)

rule-empty = une valeur vide n'est pas autorisée
rule-too-long = la longueur maximale est de { $max } caractères
rule-bad-character = seuls a-z, 0-9, '.', '_', '-' et '@' sont autorisés
rule-control-characters = les caractères de contrôle ne sont pas autorisés
rule-spaces = les espaces ne sont pas autorisés
rule-email-form = le format attendu est nom@domaine

## E-mails

mail-hello = Bonjour { $name },
mail-when = Quand : { $when }
mail-from = Origine : { $from }
mail-from-value = { $device }, adresse { $ip }
mail-your-account = Votre compte :
mail-signature = { $product } (compte { $username })
mail-not-you = Si ce n'était pas vous, changez votre mot de passe maintenant et contactez votre administrateur.
mail-by-admin = Si vous ne vous attendiez pas à cette modification, renseignez-vous auprès de votre administrateur.
mail-reset-subject = Réinitialisation de votre mot de passe
mail-reset-1 = Quelqu'un a demandé la réinitialisation du mot de passe de votre compte. Pour choisir un nouveau mot de passe, ouvrez ce lien :
mail-reset-2 = Le lien ne fonctionne qu'une fois, pendant { $valid }. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.
mail-invite-subject = Votre nouveau compte
mail-invite-1 = Un administrateur a créé un compte pour vous. Pour choisir votre mot de passe et vous connecter, ouvrez ce lien :
mail-invite-2 = Le lien ne fonctionne qu'une fois, pendant { $valid }. Si vous ne vous attendiez pas à ce compte, ignorez ce message.
mail-changed-subject = Votre mot de passe a été changé
mail-changed-1 = Le mot de passe de votre compte a été changé et toutes les autres sessions ont été déconnectées.
mail-changed-2 = Si ce n'était pas vous, réinitialisez votre mot de passe maintenant et contactez votre administrateur.
mail-admin-set-subject = Votre mot de passe a été réinitialisé par un administrateur
mail-admin-set-1 = Un administrateur a défini un nouveau mot de passe pour votre compte et a mis fin à toutes vos sessions, sur tous vos appareils. Il vous communiquera le nouveau mot de passe ; s'il l'a demandé, vous choisirez le vôtre à la prochaine connexion.
mail-2fa-on-subject = Authentification à deux facteurs activée
mail-2fa-on-1 = L'authentification à deux facteurs est désormais activée pour votre compte. La connexion nécessite un code de votre application d'authentification ou l'un de vos codes de récupération.
mail-2fa-off-subject = Authentification à deux facteurs désactivée
mail-2fa-off-1 = L'authentification à deux facteurs a été désactivée pour votre compte. Vos codes de récupération et vos appareils mémorisés ne fonctionnent plus.
mail-2fa-reset-subject = Authentification à deux facteurs réinitialisée par un administrateur
mail-2fa-reset-1 = Un administrateur a désactivé l'authentification à deux facteurs de votre compte et a mis fin à toutes vos sessions, sur tous vos appareils. Vous pouvez la configurer à nouveau sur la page de votre compte.
mail-code-used-subject = Un code de récupération a été utilisé
mail-code-used-1 = Un code de récupération a été utilisé pour se connecter à votre compte. { $left ->
    [one] Il reste { $left } code inutilisé ; chacun ne fonctionne qu'une fois.
   *[other] Il reste { $left } codes inutilisés ; chacun ne fonctionne qu'une fois.
}
mail-codes-new-subject = Nouveaux codes de récupération
mail-codes-new-1 = De nouveaux codes de récupération ont été générés pour votre compte. Les anciens ne fonctionnent plus.

## Passkeys (docs/passkeys.md)
passkey-heading = Clés d’accès
passkey-line = Ajoutée { $created }
passkey-last-used = dernière utilisation { $used }
passkey-rename = Renommer
passkey-name = Nom
passkey-rename-button = Enregistrer le nom
passkey-remove = Supprimer
passkey-remove-named = Supprimer la clé d’accès { $name }
passkey-none = Aucune clé d’accès pour l’instant.
passkey-add = Ajouter une clé d’accès
passkey-add-title = Ajouter une clé d’accès
passkey-needs-script = Ajouter une clé d’accès nécessite JavaScript dans ce navigateur.
passkey-add-intro = Donnez à la clé un nom que vous reconnaîtrez (l’appareil ou la clé qui la porte), puis suivez les indications de votre navigateur.
passkey-create = Créer la clé d’accès
passkey-cancelled = La clé d’accès n’a pas été utilisée. Réessayez, ou connectez-vous autrement.
passkey-back = Retour à votre compte
passkey-sign-in = Se connecter avec une clé d’accès
passkey-use = Utiliser une clé d’accès
passkey-too-many = Vous avez autant de clés d’accès que permis. Supprimez-en une d’abord.
passkey-name-invalid = Donnez à la clé un nom de 64 caractères au plus.
passkey-refused = Cette clé d’accès n’a pas été acceptée.
passkey-expired = Cela a pris trop de temps ou a déjà servi. Réessayez.
passkey-sign-in-refused = Cette clé d’accès ne vous a pas connecté.
account-done-passkey-added = Votre clé d’accès a été ajoutée.
account-done-passkey-renamed = La clé d’accès a été renommée.
account-done-passkey-removed = La clé d’accès a été supprimée.
mail-passkey-added-subject = Une clé d’accès a été ajoutée à votre compte
mail-passkey-added-1 = Une clé d’accès nommée « { $name } » a été ajoutée à votre compte. Elle peut désormais vous connecter.
mail-passkey-removed-subject = Une clé d’accès a été supprimée de votre compte
mail-passkey-removed-1 = La clé d’accès nommée « { $name } » a été supprimée de votre compte.
code-intro-passkey = Utilisez votre clé d’accès pour terminer la connexion en tant que { $username }, ou saisissez un code ci-dessous.
account-two-factor-passkeys = Vos clés d’accès sont votre second facteur. Vous pouvez aussi configurer une application d’authentification.
codes-intro-passkey = Votre clé d’accès a été ajoutée. Ces codes vous connectent si vous la perdez.
