# Gatehouse — English messages (the reference catalog: every key exists here).
# Other catalogs translate every key of this file; an operator overrides single messages in
# <portal.templates_dir>/locales/<tag>.ftl. Arguments ($name) are escaped where they are shown.

language-name = English

## Frame of every page

frame-signed-in-as = Signed in as { $who }
frame-portal-home = Portal home
frame-sign-out-or-switch = Sign out or switch account
frame-request = Request { $id }
frame-language = Language
frame-language-change = Change
frame-show = Show
frame-hide = Hide
frame-show-field = Show { $field }

## Common words

common-username = Username
common-password = Password
common-email = Email
common-name = Name
common-groups = Groups
common-status = Status
common-sign-in = Sign in
common-sign-out = Sign out
common-cancel = Cancel
common-save = Save
common-none = none
common-back-to-sign-in = Back to sign in
common-back-to-account = Back to account security
common-back-to-users = Back to the users
common-account-security = Account security
common-admin = Admin
common-groups-hint = Comma-separated, e.g. { $example }.
common-password-hint = At least { $min } characters. Several unrelated words work well; no other rules.
common-new-password = New password
common-new-password-again = New password again
common-code-or-recovery = Current code or recovery code
common-this-device = This device
common-device-on = { $browser } on { $platform }
common-unknown-device = Unknown device
common-verbatim = { $text }
common-signed-in-at = signed in
common-last-active = last active
common-sign-out-session = Sign out { $device } from { $ip } (session { $handle })
common-session-not-found = That session was not found. It may have ended already.
common-confirmed-repeat = Password confirmed. Now repeat the action: it was not carried out yet.
common-too-many-attempts = Too many failed attempts. Try again in { $wait }.
common-form-expired = This form had expired, so nothing was changed. Check it and send it again.

## Durations

span-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
span-hours = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
}
span-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
span-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}

## Sign in

login-title = Sign in
login-remember = Keep me signed in on this device for { $days } days
login-forgot = Forgot your password?
login-failed = Invalid username or password.
login-busy = Many sign-ins are under way right now. Try again in a few seconds.
login-session-ended = Your session has ended. Sign in again to continue.
login-form-incomplete = The form was incomplete. Try again.

## Second factor

code-title = Two-factor authentication
code-intro-recovery = Enter one of the recovery codes you saved for { $username }. Each works once.
code-intro-app = Enter the 6-digit code from your authenticator app for { $username }.
code-label-recovery = Recovery code
code-label-app = Code from your authenticator app
code-trust-device = Trust this device for { $days } days
code-verify = Verify
code-use-app = Use the code from your app instead
code-use-recovery = Use a recovery code instead
code-someone-else = Sign in as someone else
code-invalid = Invalid code.
code-too-many = Too many wrong codes. Sign in again.
code-sign-in-expired = Your sign-in expired. Sign in again.

## Portal home and sign-out

home-title = Signed in
home-signed-in-as = You are signed in as { $name } ({ $username }).
home-your-apps = Your apps
home-two-factor-tag = two-factor
logout-title = Sign out?
logout-question = You are signed in as { $name } ({ $username }). Sign out of every app behind this portal?
signed-out-title = Signed out
signed-out-heading = You are signed out
signed-out-message = Your session has ended on the server.
signed-out-again = Sign in again

## Account security

account-title = Account security
account-two-factor = Two-factor authentication
account-two-factor-on = On.
account-codes-unused = { $left ->
    [one] unused recovery code.
   *[other] unused recovery codes.
}
account-two-factor-off = Off.
account-regenerate = Generate new recovery codes
account-regenerate-button = Generate new codes
account-turn-off = Turn off two-factor authentication
account-turn-off-button = Turn off
account-set-up-2fa = Set up two-factor authentication
account-change-password = Change password
account-devices = Remembered devices
account-device-line = { $ip } · remembered { $created } · until { $expires }
account-forget = Forget
account-forget-device = Forget { $device }
account-no-devices = None. A device you trust at sign-in skips the code for { $days } days.
account-sessions = Sessions
account-sessions-link = Active sessions
account-sessions-hint = where you are signed in; sign out other devices.
account-administration = Administration
account-admin-link = Admin area
account-admin-hint = users, passwords, sessions.
account-done-password = Your password was changed. Every other session was signed out; this one goes on.
account-done-2fa-off = Two-factor authentication is off.
account-done-device = That device will be asked for a code at its next sign-in.
account-wrong-password-or-code = The password or the code was wrong. Nothing was changed.

## Step-up

reauth-title = Confirm your password
reauth-intro = Changing security settings needs your password again.
reauth-continue = Continue
reauth-wrong = Wrong password.
reauth-kept = Once your password is confirmed, what you asked for is carried out: no need to repeat it.

## Two-factor set-up and recovery codes

enroll-title = Set up two-factor authentication
enroll-scan = Scan this code with an authenticator app, then enter the 6-digit code it shows.
enroll-qr-label = QR code holding the setup key shown below as text
enroll-by-hand = Can't scan it? Enter this key by hand (time-based, SHA-1, 6 digits, 30 seconds):
enroll-on-phone = Or, on the phone itself,
enroll-open-link = open the key in an authenticator app
enroll-link-as-text = The same link as text:
enroll-code = Code from the app
enroll-turn-on = Turn on
enroll-mismatch = That code did not match. Check the time on your phone and try the next code.
codes-title = Your recovery codes
codes-page-title = Recovery codes
codes-intro-new = Two-factor authentication is on.
codes-intro-regenerated = Your old recovery codes no longer work.
codes-explain = Each code works once, when your phone is not at hand. Keep them somewhere safe: they are shown only now.
codes-label = Recovery codes
codes-copy = Copy
codes-copied = Copied
codes-download = Download as text
codes-continue = I have saved them, continue

## Passwords

password-title-change = Change password
password-title-forced = Set a new password
password-forced-notice = Your administrator asks you to choose a new password before you continue.
password-current = Current password
password-code = Code from your authenticator app, or a recovery code
password-submit = Change password
password-others-signed-out = Every other session will be signed out.
password-current-wrong = The current password is wrong.
password-code-wrong = The code is wrong.
password-too-short = Use at least { $min } characters.
password-too-long = Use at most { $max } bytes.
password-predictable = Don't build the password from your username or the name of this service.
password-control-characters = The password contains control characters.
password-too-common = This password is too common and easy to guess. Try a few unrelated words.
password-mismatch = The two new passwords are not the same.
password-refused = The password was refused: { $why }
forgot-title = Forgot password
forgot-heading = Forgot your password?
forgot-intro = Enter your username or email address. If an account matches, we will send a link to choose a new password.
forgot-who = Username or email
forgot-send = Send the link
forgot-too-many = Too many requests from your network. Try again in a few minutes.
forgot-sent-title = Check your email
forgot-sent = If an account matches what you entered, a link to choose a new password is on its way. It works once, for { $valid }. No mail? Check the spam folder, or ask your administrator.
reset-title = Choose a new password
reset-for = For { $username }. Every session of the account will be signed out.
reset-submit = Set password
reset-invalid-title = Invalid link
reset-invalid = This link is invalid or has expired. Ask for a new one.
reset-ask-again = Ask for a new link
reset-done-title = Password changed
reset-done = Your new password is set and every session of the account was signed out. Sign in with the new password.

## Active sessions

sessions-title = Active sessions
sessions-intro = Where { $username } is signed in. Signing out a session ends it at once on the server.
sessions-revoke-others = Sign out all other sessions
sessions-none-other = No other sessions.
sessions-confirmed = Password confirmed. Now choose the session to sign out again.
sessions-done-revoked = The session was signed out.
sessions-done-others = Every other session was signed out.

## Admin area

admin-users-title = Users
admin-area-line = Admin area · signed in as { $username }
admin-search-label = Search users
admin-search-placeholder = Username, name or email
admin-search = Search
admin-create-user = Create a user
admin-found = { $found } of { $total } users match “{ $q }”.
admin-show-all = Show all
admin-truncated = Only the first { $max } are shown: search to narrow the list.
admin-tag-disabled = disabled
admin-tag-2fa = 2FA on
admin-tag-must-change = must change password
admin-no-users = No users.
admin-no-match = No users match.
admin-field-two-factor = Two-factor
admin-field-created = Created
admin-created-line = { $created } · last changed { $updated }
admin-tag-active = active
admin-tag-admin = administrator
admin-on = on
admin-off = off
admin-must-change-yes = must be changed at next sign-in
admin-must-change-no = set by the user
admin-profile-heading = Name, email and groups
admin-display-name = Display name
admin-display-name-hint = Empty: the username stands in.
admin-email-hint = A new address voids reset links mailed to the old one.
admin-groups-own = You cannot change your own groups here.
admin-groups-sessions = The user's sessions get the new groups at once.
admin-own-password = Change your own password on your account page.
admin-mode-temporary = Set a temporary password, shown once to you (every session ends)
admin-mode-link = Mail a reset link to { $email } (you never see it)
admin-no-notifier = No mail notifier is configured, so reset links cannot be sent.
admin-no-email = The user has no email address, so a reset link cannot be sent.
admin-must-change-next = Must choose a new password at next sign-in (temporary password)
admin-reset-password = Reset password
admin-account = Account
admin-enable = Enable
admin-disable = Disable (ends every session now)
admin-unlock = Unlock (lift sign-in bans)
admin-reset-2fa = Reset two-factor authentication
admin-delete-link = Delete user…
admin-myself = You cannot disable or delete your own account or reset your own two-factor authentication here.
admin-sessions = Sessions
admin-current-session = your current session
admin-two-factors = two factors
admin-no-sessions = No active sessions.
admin-revoke-all = Sign out all sessions
admin-step-up-note = Every action here needs your password entered within the last few minutes, and is recorded in the audit log.
admin-user-title = User { $username }
admin-done-created = The user was created.
admin-done-invited = The user was created, and an invitation link to choose their password was mailed to them.
admin-done-link = A password reset link was mailed to the user. Their password stays as it is until they use it.
admin-done-disabled = The account is disabled and every session of it has ended.
admin-done-enabled = The account is enabled again.
admin-done-unlocked = The account's sign-in bans are lifted.
admin-done-2fa = Two-factor authentication was turned off; the user's sessions and remembered devices have ended, and a notice was mailed.
admin-done-revoked = The session was signed out.
admin-done-revoked-all = Every session of the user was signed out.
admin-done-profile = The name, email address and groups were saved.
admin-done-deleted = The user was deleted, and every session of theirs has ended.
admin-choose-mode = Choose a temporary password or a reset link.
admin-link-no-notifier = No mail notifier is configured: use a temporary password.
admin-link-no-email = The user has no email address: use a temporary password.
admin-link-disabled = The account is disabled, so a reset link would not work: enable it first.
admin-own-set-password = You cannot reset your own password here: change it on your account page.
admin-own-disable = You cannot disable your own account.
admin-own-reset-2fa = You cannot reset your own two-factor authentication here: turn it off on your account page.
admin-own-current-session = This is your current session: use Sign out instead.
admin-own-revoke-all = This would end your current session too: use Sign out all other sessions on your sessions page.
admin-own-delete = You cannot delete your own account.
admin-own-groups = You cannot change your own groups here (nor leave the admin group): ask another administrator.
admin-2fa-not-on = Two-factor authentication is not on for this user.
admin-bad-display-name = The display name is not valid: it { $why }.
admin-bad-email = The email address is not valid: it { $why }.
admin-bad-group = A group name is not valid: it { $why }.
admin-bad-username-or-group = The username or a group name is not valid: it { $why }.
admin-display-name-invalid = The display name is too long or holds control characters.
admin-email-invalid = The email address is not valid.
admin-user-exists = A user with that name already exists.
admin-new-title = New user
admin-username-hint = Lower-case letters, digits, '.', '_', '-' and '@'.
admin-initial-password = Initial password
admin-initial-password-hint = At least { $min } characters. Leave it empty to generate one, shown once on the next page.
admin-must-change-first = Must choose a new password at first sign-in
admin-invite = Instead, mail an invitation: the user chooses their own password through a link that works once, for { $valid } (needs the email address)
admin-invite-no-notifier = No mail notifier is configured, so an invitation cannot be sent.
admin-invite-no-email = An invitation needs the user's email address.
admin-create = Create user
admin-created-title = User created
admin-temporary-title = Temporary password
admin-created-with = The user { $username } was created with this password:
admin-new-password-of = The new password of { $username }:
admin-shown-once = It is shown only now: pass it on to the user over a channel you trust.
admin-they-must-change = They must choose a new password when they first sign in with it.
admin-they-keep = They are not asked to change it.
admin-sessions-ended = Every session of the user has ended and their remembered devices are forgotten.
admin-notice-mailed = A notice was mailed to them.
admin-back-to = Back to { $username }
admin-all-users = All users
admin-delete-title = Delete { $username }?
admin-back-to-user = Back to the user
admin-delete-warning = The account { $username } will be deleted: they can no longer sign in, { $sessions ->
    [0] any session of theirs ends at once,
    [one] their { $sessions } active session ends at once,
   *[other] their { $sessions } active sessions end at once,
} and their password, two-factor authentication and remembered devices are gone. This cannot be undone.
admin-delete-named = { $username } ({ $name })
admin-delete-button = Delete { $username }
admin-delete-note = This needs your password entered within the last few minutes, and is recorded in the audit log.

## Error pages

error-bad-request = Bad request
error-not-found = Not found
error-not-found-text = There is no page here.
error-method = Method not allowed
error-method-text = This address does not accept that kind of request.
error-forbidden = Access denied
error-forbidden-text = Your account is not allowed to open this page.
error-forbidden-who = You are signed in as { $who }, and this account is not allowed to open this page.
error-two-factor = Two-factor authentication required
error-two-factor-text = This page requires two-factor authentication, which your account does not have yet. Set it up once with an authenticator app; you come back here afterwards.
error-two-factor-set-up = Set up two-factor authentication now
error-unknown-host = Unknown site
error-unknown-host-text = This gateway does not serve that host name.
error-unknown-host-named = This gateway does not serve { $host }.
error-go-to-portal = Go to the sign-in portal
error-too-large = Request too large
error-too-large-text = The form or request was larger than allowed.
error-unavailable = Temporarily unavailable
error-unavailable-text = The sign-in service is temporarily unavailable. Try again in a moment.
error-busy-text = Many sign-ins are under way right now, so this one was not checked. Try again in a few seconds.
error-bad-gateway = Application unreachable
error-bad-gateway-text = The application behind this gateway is not answering.
error-timeout = Application timed out
error-timeout-text = The application behind this gateway took too long to answer.
error-internal = Something went wrong
error-internal-text = The gateway could not complete the request.
error-switch-account = Sign in as someone else
bad-request-repeated-header = The request repeats a header that must appear once.
bad-request-two-hosts = The request names two different hosts.
bad-request-no-host = The request has no host.
bad-request-bad-host = The host name is not valid.
bad-request-bad-path = The path is not allowed: it uses an encoding or sequence that could be misread.
bad-request-incomplete-form = The form was incomplete.
bad-request-language = That language is not offered here.
bad-request-forwarded-for = X-Forwarded-For does not name the client's address.
bad-request-header-characters = A header holds characters that are not allowed.
bad-request-framing = The request has both Content-Length and Transfer-Encoding.

## Name and address rules (shown after "it")

rule-empty = must not be empty
rule-too-long = must be at most { $max } characters
rule-bad-character = may contain only a-z, 0-9, '.', '_', '-' and '@'
rule-control-characters = must not contain control characters
rule-spaces = must not contain spaces
rule-email-form = must have the form name@domain

## Mail

mail-hello = Hello { $name },
mail-when = When: { $when }
mail-from = From: { $from }
mail-from-value = { $device }, address { $ip }
mail-your-account = Your account:
mail-signature = { $product } (account { $username })
mail-not-you = If this was not you, change your password now and contact your administrator.
mail-by-admin = If you did not expect this change, ask your administrator about it.
mail-reset-subject = Reset your password
mail-reset-1 = Someone asked to reset the password of your account. To choose a new password, open this link:
mail-reset-2 = The link works once, for { $valid }. If you did not ask for it, ignore this message: your password stays as it is.
mail-invite-subject = Your new account
mail-invite-1 = An administrator created an account for you. To choose your password and sign in, open this link:
mail-invite-2 = The link works once, for { $valid }. If you did not expect this account, ignore this message.
mail-changed-subject = Your password was changed
mail-changed-1 = The password of your account was changed, and every other session was signed out.
mail-changed-2 = If this was not you, reset your password now and contact your administrator.
mail-admin-set-subject = Your password was reset by an administrator
mail-admin-set-1 = An administrator set a new password for your account and signed you out everywhere. They will tell you the new password; you choose your own at the next sign-in if they asked for that.
mail-2fa-on-subject = Two-factor authentication turned on
mail-2fa-on-1 = Two-factor authentication is now on for your account. Signing in needs a code from your authenticator app or one of your recovery codes.
mail-2fa-off-subject = Two-factor authentication turned off
mail-2fa-off-1 = Two-factor authentication was turned off for your account. Your recovery codes and remembered devices no longer work.
mail-2fa-reset-subject = Two-factor authentication reset by an administrator
mail-2fa-reset-1 = An administrator turned off two-factor authentication for your account and signed you out everywhere. You can set it up again on your account page.
mail-code-used-subject = A recovery code was used
mail-code-used-1 = A recovery code was used to sign in to your account. { $left ->
    [one] { $left } unused code remains; each works once.
   *[other] { $left } unused codes remain; each works once.
}
mail-codes-new-subject = New recovery codes
mail-codes-new-1 = New recovery codes were generated for your account. The old ones no longer work.

## Passkeys (docs/passkeys.md)
passkey-heading = Passkeys
passkey-line = Added { $created }
passkey-last-used = last used { $used }
passkey-rename = Rename
passkey-name = Name
passkey-rename-button = Save name
passkey-remove = Remove
passkey-remove-named = Remove the passkey { $name }
passkey-none = No passkeys yet.
passkey-add = Add a passkey
passkey-add-title = Add a passkey
passkey-needs-script = Adding a passkey needs JavaScript in this browser.
passkey-add-intro = Give the passkey a name you will recognise (the device or key it lives on), then follow your browser's prompt.
passkey-create = Create passkey
passkey-cancelled = The passkey was not used. Try again, or use another way to sign in.
passkey-back = Back to your account
passkey-sign-in = Sign in with a passkey
passkey-use = Use a passkey
passkey-too-many = You have as many passkeys as allowed. Remove one first.
passkey-name-invalid = Give the passkey a name of at most 64 characters.
passkey-refused = That passkey was not accepted.
passkey-expired = That took too long or was already used. Try again.
passkey-sign-in-refused = That passkey did not sign you in.
account-done-passkey-added = Your passkey was added.
account-done-passkey-renamed = The passkey was renamed.
account-done-passkey-removed = The passkey was removed.
mail-passkey-added-subject = A passkey was added to your account
mail-passkey-added-1 = A passkey named “{ $name }” was added to your account. It can now sign you in.
mail-passkey-removed-subject = A passkey was removed from your account
mail-passkey-removed-1 = The passkey named “{ $name }” was removed from your account.
code-intro-passkey = Use your passkey to finish signing in as { $username }, or enter a code below.
account-two-factor-passkeys = Your passkeys are your second factor. You can also set up an authenticator app.
codes-intro-passkey = Your passkey was added. These codes sign you in if you lose it.
