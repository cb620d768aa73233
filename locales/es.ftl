# Gatehouse — mensajes en español (traducción del catálogo de referencia en inglés, en.ftl, que contiene todas las claves).
# Este catálogo traduce cada clave de en.ftl; un operador sustituye mensajes sueltos en
# <portal.templates_dir>/locales/es.ftl. Los argumentos ($name) se escapan allí donde se muestran.

language-name = Español

## Marco de cada página

frame-signed-in-as = Sesión iniciada como { $who }
frame-portal-home = Inicio del portal
frame-sign-out-or-switch = Cerrar sesión o cambiar de cuenta
frame-request = Solicitud { $id }
frame-language = Idioma
frame-language-change = Cambiar
frame-show = Mostrar
frame-hide = Ocultar
frame-show-field = Mostrar { $field }

## Palabras comunes

common-username = Nombre de usuario
common-password = Contraseña
common-email = Correo electrónico
common-name = Nombre
common-groups = Grupos
common-status = Estado
common-sign-in = Iniciar sesión
common-sign-out = Cerrar sesión
common-cancel = Cancelar
common-save = Guardar
common-none = ninguno
common-back-to-sign-in = Volver al inicio de sesión
common-back-to-account = Volver a la seguridad de la cuenta
common-back-to-users = Volver a los usuarios
common-account-security = Seguridad de la cuenta
common-admin = Administración
common-groups-hint = Separados por comas, p. ej. { $example }.
common-password-hint = Al menos { $min } caracteres. Varias palabras sin relación entre sí funcionan bien; no hay más reglas.
common-new-password = Nueva contraseña
common-new-password-again = Repite la nueva contraseña
common-code-or-recovery = Código actual o código de recuperación
common-this-device = Este dispositivo
common-device-on = { $browser } en { $platform }
common-unknown-device = Dispositivo desconocido
common-verbatim = { $text }
common-signed-in-at = sesión iniciada el
common-last-active = última actividad el
common-sign-out-session = Cerrar la sesión de { $device } en { $ip } (sesión { $handle })
common-session-not-found = No se ha encontrado esa sesión. Puede que ya haya terminado.
common-confirmed-repeat = Contraseña confirmada. Ahora repite la acción: todavía no se ha realizado.
common-too-many-attempts = Demasiados intentos fallidos. Inténtalo de nuevo dentro de { $wait }.
common-form-expired = Este formulario había caducado, así que no se ha cambiado nada. Revísalo y vuelve a enviarlo.

## Duraciones

span-minutes = { $n ->
    [one] { $n } minuto
   *[other] { $n } minutos
}
span-hours = { $n ->
    [one] { $n } hora
   *[other] { $n } horas
}
span-days = { $n ->
    [one] { $n } día
   *[other] { $n } días
}
span-seconds = { $n ->
    [one] { $n } segundo
   *[other] { $n } segundos
}

## Inicio de sesión

login-title = Iniciar sesión
login-remember = Mantener la sesión iniciada en este dispositivo durante { $days } días
login-forgot = ¿Has olvidado tu contraseña?
login-failed = Nombre de usuario o contraseña incorrectos.
login-busy = Ahora mismo hay muchos inicios de sesión en curso. Inténtalo de nuevo dentro de unos segundos.
login-session-ended = Tu sesión ha terminado. Vuelve a iniciar sesión para continuar.
login-form-incomplete = El formulario estaba incompleto. Inténtalo de nuevo.

## Segundo factor

code-title = Autenticación de dos factores
code-intro-recovery = Introduce uno de los códigos de recuperación que guardaste para { $username }. Cada uno funciona una sola vez.
code-intro-app = Introduce el código de 6 dígitos de tu aplicación de autenticación para { $username }.
code-label-recovery = Código de recuperación
code-label-app = Código de tu aplicación de autenticación
code-trust-device = Confiar en este dispositivo durante { $days } días
code-verify = Verificar
code-use-app = Usar en su lugar el código de tu aplicación
code-use-recovery = Usar en su lugar un código de recuperación
code-someone-else = Iniciar sesión con otra cuenta
code-invalid = Código no válido.
code-too-many = Demasiados códigos incorrectos. Vuelve a iniciar sesión.
code-sign-in-expired = Tu inicio de sesión ha caducado. Vuelve a iniciar sesión.

## Inicio del portal y cierre de sesión

home-title = Sesión iniciada
home-signed-in-as = Has iniciado sesión como { $name } ({ $username }).
home-your-apps = Tus aplicaciones
home-two-factor-tag = dos factores
logout-title = ¿Cerrar sesión?
logout-question = Has iniciado sesión como { $name } ({ $username }). ¿Cerrar sesión en todas las aplicaciones protegidas por este portal?
signed-out-title = Sesión cerrada
signed-out-heading = Has cerrado sesión
signed-out-message = Tu sesión ha terminado en el servidor.
signed-out-again = Volver a iniciar sesión

## Seguridad de la cuenta

account-title = Seguridad de la cuenta
account-two-factor = Autenticación de dos factores
account-two-factor-on = Activada.
account-codes-unused = { $left ->
    [one] código de recuperación sin usar.
   *[other] códigos de recuperación sin usar.
}
account-two-factor-off = Desactivada.
account-regenerate = Generar nuevos códigos de recuperación
account-regenerate-button = Generar nuevos códigos
account-turn-off = Desactivar la autenticación de dos factores
account-turn-off-button = Desactivar
account-set-up-2fa = Configurar la autenticación de dos factores
account-change-password = Cambiar la contraseña
account-devices = Dispositivos recordados
account-device-line = { $ip } · recordado el { $created } · hasta el { $expires }
account-forget = Olvidar
account-forget-device = Olvidar { $device }
account-no-devices = Ninguno. Un dispositivo en el que confíes al iniciar sesión no necesitará el código durante { $days } días.
account-sessions = Sesiones
account-sessions-link = Sesiones activas
account-sessions-hint = dónde tienes la sesión iniciada; cierra la sesión en otros dispositivos.
account-administration = Administración
account-admin-link = Área de administración
account-admin-hint = usuarios, contraseñas, sesiones.
account-done-password = Se ha cambiado tu contraseña. Se han cerrado todas las demás sesiones; esta sigue abierta.
account-done-2fa-off = La autenticación de dos factores está desactivada.
account-done-device = A ese dispositivo se le pedirá un código la próxima vez que inicie sesión.
account-wrong-password-or-code = La contraseña o el código eran incorrectos. No se ha cambiado nada.

## Confirmación de la contraseña

reauth-title = Confirma tu contraseña
reauth-intro = Para cambiar la configuración de seguridad hay que volver a introducir tu contraseña.
reauth-continue = Continuar
reauth-wrong = Contraseña incorrecta.
reauth-kept = Cuando confirmes tu contraseña, se hará lo que pediste: no hace falta repetirlo.

## Configuración de la autenticación de dos factores y códigos de recuperación

enroll-title = Configurar la autenticación de dos factores
enroll-scan = Escanea este código con una aplicación de autenticación y, a continuación, introduce el código de 6 dígitos que muestre.
enroll-qr-label = Código QR que contiene la clave de configuración que aparece abajo como texto
enroll-by-hand = ¿No puedes escanearlo? Introduce esta clave a mano (basada en el tiempo, SHA-1, 6 dígitos, 30 segundos):
enroll-on-phone = O, en el propio teléfono,
enroll-open-link = abre la clave en una aplicación de autenticación
enroll-link-as-text = El mismo enlace como texto:
enroll-code = Código de la aplicación
enroll-turn-on = Activar
enroll-mismatch = Ese código no coincide. Comprueba la hora de tu teléfono y prueba con el siguiente código.
codes-title = Tus códigos de recuperación
codes-page-title = Códigos de recuperación
codes-intro-new = La autenticación de dos factores está activada.
codes-intro-regenerated = Tus códigos de recuperación anteriores ya no funcionan.
codes-explain = Cada código funciona una sola vez, para cuando no tengas el teléfono a mano. Guárdalos en un lugar seguro: solo se muestran ahora.
codes-label = Códigos de recuperación
codes-copy = Copiar
codes-copied = Copiado
codes-download = Descargar como texto
codes-continue = Ya los he guardado, continuar

## Contraseñas

password-title-change = Cambiar la contraseña
password-title-forced = Establecer una nueva contraseña
password-forced-notice = Tu administrador te pide que elijas una nueva contraseña antes de continuar.
password-current = Contraseña actual
password-code = Código de tu aplicación de autenticación o un código de recuperación
password-submit = Cambiar la contraseña
password-others-signed-out = Se cerrarán todas las demás sesiones.
password-current-wrong = La contraseña actual es incorrecta.
password-code-wrong = El código es incorrecto.
password-too-short = Usa al menos { $min } caracteres.
password-too-long = Usa como máximo { $max } bytes.
password-predictable = No formes la contraseña a partir de tu nombre de usuario o del nombre de este servicio.
password-control-characters = La contraseña contiene caracteres de control.
password-too-common = Esta contraseña es demasiado común y fácil de adivinar. Prueba con varias palabras sin relación entre sí.
password-mismatch = Las dos contraseñas nuevas no coinciden.
password-refused = Se ha rechazado la contraseña: { $why }
forgot-title = Contraseña olvidada
forgot-heading = ¿Has olvidado tu contraseña?
forgot-intro = Introduce tu nombre de usuario o tu dirección de correo electrónico. Si coincide con una cuenta, te enviaremos un enlace para elegir una nueva contraseña.
forgot-who = Nombre de usuario o correo electrónico
forgot-send = Enviar el enlace
forgot-too-many = Demasiadas solicitudes desde tu red. Inténtalo de nuevo dentro de unos minutos.
forgot-sent-title = Revisa tu correo
forgot-sent = Si lo que has introducido coincide con una cuenta, un enlace para elegir una nueva contraseña está en camino. Funciona una sola vez, durante { $valid }. ¿No te ha llegado el correo? Revisa la carpeta de spam o pregunta a tu administrador.
reset-title = Elige una nueva contraseña
reset-for = Para { $username }. Se cerrarán todas las sesiones de la cuenta.
reset-submit = Establecer la contraseña
reset-invalid-title = Enlace no válido
reset-invalid = Este enlace no es válido o ha caducado. Solicita uno nuevo.
reset-ask-again = Solicitar un nuevo enlace
reset-done-title = Contraseña cambiada
reset-done = Tu nueva contraseña ya está establecida y se han cerrado todas las sesiones de la cuenta. Inicia sesión con la nueva contraseña.

## Sesiones activas

sessions-title = Sesiones activas
sessions-intro = Dónde tiene { $username } la sesión iniciada. Cerrar una sesión la termina de inmediato en el servidor.
sessions-revoke-others = Cerrar todas las demás sesiones
sessions-none-other = No hay más sesiones.
sessions-confirmed = Contraseña confirmada. Ahora vuelve a elegir la sesión que quieres cerrar.
sessions-done-revoked = Se ha cerrado la sesión.
sessions-done-others = Se han cerrado todas las demás sesiones.

## Área de administración

admin-users-title = Usuarios
admin-area-line = Área de administración · sesión iniciada como { $username }
admin-search-label = Buscar usuarios
admin-search-placeholder = Nombre de usuario, nombre o correo electrónico
admin-search = Buscar
admin-create-user = Crear un usuario
admin-found = { $found ->
    [one] { $found } de { $total } usuarios coincide con «{ $q }».
   *[other] { $found } de { $total } usuarios coinciden con «{ $q }».
}
admin-show-all = Mostrar todos
admin-truncated = Solo se muestran los { $max } primeros: busca para acotar la lista.
admin-tag-disabled = desactivado
admin-tag-2fa = 2FA activada
admin-tag-must-change = debe cambiar la contraseña
admin-no-users = No hay usuarios.
admin-no-match = Ningún usuario coincide.
admin-field-two-factor = Autenticación de dos factores
admin-field-created = Creado
admin-created-line = { $created } · última modificación el { $updated }
admin-tag-active = activo
admin-tag-admin = administrador
admin-on = activada
admin-off = desactivada
admin-must-change-yes = debe cambiarse en el próximo inicio de sesión
admin-must-change-no = elegida por el usuario
admin-profile-heading = Nombre, correo electrónico y grupos
admin-display-name = Nombre visible
admin-display-name-hint = Si se deja vacío, se usa el nombre de usuario.
admin-email-hint = Una dirección nueva anula los enlaces de restablecimiento enviados a la anterior.
admin-groups-own = Aquí no puedes cambiar tus propios grupos.
admin-groups-sessions = Las sesiones del usuario reciben los nuevos grupos de inmediato.
admin-own-password = Cambia tu propia contraseña en la página de tu cuenta.
admin-mode-temporary = Establecer una contraseña temporal, que se te mostrará una sola vez (se cierran todas las sesiones)
admin-mode-link = Enviar por correo un enlace de restablecimiento a { $email } (tú nunca lo ves)
admin-no-notifier = El envío de correo no está configurado, así que no se pueden enviar enlaces de restablecimiento.
admin-no-email = El usuario no tiene dirección de correo electrónico, así que no se le puede enviar un enlace de restablecimiento.
admin-must-change-next = Debe elegir una nueva contraseña en el próximo inicio de sesión (contraseña temporal)
admin-reset-password = Restablecer la contraseña
admin-account = Cuenta
admin-enable = Activar
admin-disable = Desactivar (cierra ahora todas las sesiones)
admin-unlock = Desbloquear (levantar los bloqueos de inicio de sesión)
admin-reset-2fa = Restablecer la autenticación de dos factores
admin-delete-link = Eliminar usuario…
admin-myself = Aquí no puedes desactivar ni eliminar tu propia cuenta, ni restablecer tu propia autenticación de dos factores.
admin-sessions = Sesiones
admin-current-session = tu sesión actual
admin-two-factors = dos factores
admin-no-sessions = No hay sesiones activas.
admin-revoke-all = Cerrar todas las sesiones
admin-step-up-note = Cada acción de esta página requiere que hayas introducido tu contraseña en los últimos minutos y queda anotada en el registro de auditoría.
admin-user-title = Usuario { $username }
admin-done-created = Se ha creado el usuario.
admin-done-invited = Se ha creado el usuario y se le ha enviado por correo un enlace de invitación para que elija su contraseña.
admin-done-link = Se ha enviado por correo al usuario un enlace para restablecer la contraseña. Su contraseña no cambia hasta que lo use.
admin-done-disabled = La cuenta está desactivada y todas sus sesiones han terminado.
admin-done-enabled = La cuenta vuelve a estar activada.
admin-done-unlocked = Se han levantado los bloqueos de inicio de sesión de la cuenta.
admin-done-2fa = Se ha desactivado la autenticación de dos factores; las sesiones y los dispositivos recordados del usuario han terminado, y se ha enviado un aviso por correo.
admin-done-revoked = Se ha cerrado la sesión.
admin-done-revoked-all = Se han cerrado todas las sesiones del usuario.
admin-done-profile = Se han guardado el nombre, la dirección de correo electrónico y los grupos.
admin-done-deleted = Se ha eliminado el usuario y todas sus sesiones han terminado.
admin-choose-mode = Elige una contraseña temporal o un enlace de restablecimiento.
admin-link-no-notifier = El envío de correo no está configurado: usa una contraseña temporal.
admin-link-no-email = El usuario no tiene dirección de correo electrónico: usa una contraseña temporal.
admin-link-disabled = La cuenta está desactivada, así que un enlace de restablecimiento no funcionaría: actívala primero.
admin-own-set-password = Aquí no puedes restablecer tu propia contraseña: cámbiala en la página de tu cuenta.
admin-own-disable = No puedes desactivar tu propia cuenta.
admin-own-reset-2fa = Aquí no puedes restablecer tu propia autenticación de dos factores: desactívala en la página de tu cuenta.
admin-own-current-session = Esta es tu sesión actual: usa «Cerrar sesión» en su lugar.
admin-own-revoke-all = Esto también cerraría tu sesión actual: usa «Cerrar todas las demás sesiones» en tu página de sesiones.
admin-own-delete = No puedes eliminar tu propia cuenta.
admin-own-groups = Aquí no puedes cambiar tus propios grupos (ni salir del grupo de administradores): pídeselo a otro administrador.
admin-2fa-not-on = La autenticación de dos factores no está activada para este usuario.
admin-bad-display-name = El nombre visible no es válido: { $why }.
admin-bad-email = La dirección de correo electrónico no es válida: { $why }.
admin-bad-group = Un nombre de grupo no es válido: { $why }.
admin-bad-username-or-group = El nombre de usuario o un nombre de grupo no es válido: { $why }.
admin-display-name-invalid = El nombre visible es demasiado largo o contiene caracteres de control.
admin-email-invalid = La dirección de correo electrónico no es válida.
admin-user-exists = Ya existe un usuario con ese nombre.
admin-new-title = Nuevo usuario
admin-username-hint = Letras minúsculas, dígitos, '.', '_', '-' y '@'.
admin-initial-password = Contraseña inicial
admin-initial-password-hint = Al menos { $min } caracteres. Déjala vacía para generar una, que se mostrará una sola vez en la página siguiente.
admin-must-change-first = Debe elegir una nueva contraseña en el primer inicio de sesión
admin-invite = En su lugar, enviar una invitación por correo: el usuario elige su propia contraseña mediante un enlace que funciona una sola vez, durante { $valid } (requiere la dirección de correo electrónico)
admin-invite-no-notifier = El envío de correo no está configurado, así que no se puede enviar una invitación.
admin-invite-no-email = Una invitación requiere la dirección de correo electrónico del usuario.
admin-create = Crear usuario
admin-created-title = Usuario creado
admin-temporary-title = Contraseña temporal
admin-created-with = Se ha creado el usuario { $username } con esta contraseña:
admin-new-password-of = La nueva contraseña de { $username }:
admin-shown-once = Solo se muestra ahora: entrégasela al usuario por un canal de confianza.
admin-they-must-change = Deberá elegir una nueva contraseña la primera vez que inicie sesión con ella.
admin-they-keep = No se le pedirá que la cambie.
admin-sessions-ended = Todas las sesiones del usuario han terminado y sus dispositivos recordados se han olvidado.
admin-notice-mailed = Se le ha enviado un aviso por correo.
admin-back-to = Volver a { $username }
admin-all-users = Todos los usuarios
admin-delete-title = ¿Eliminar a { $username }?
admin-back-to-user = Volver al usuario
admin-delete-warning = Se eliminará la cuenta { $username }: ya no podrá iniciar sesión, { $sessions ->
    [0] cualquier sesión suya terminará de inmediato,
    [one] su sesión activa terminará de inmediato,
   *[other] sus { $sessions } sesiones activas terminarán de inmediato,
} y su contraseña, su autenticación de dos factores y sus dispositivos recordados desaparecerán. Esta acción no se puede deshacer.
admin-delete-named = { $username } ({ $name })
admin-delete-button = Eliminar a { $username }
admin-delete-note = Esto requiere que hayas introducido tu contraseña en los últimos minutos y queda anotado en el registro de auditoría.

## Páginas de error

error-bad-request = Solicitud incorrecta
error-not-found = Página no encontrada
error-not-found-text = Aquí no hay ninguna página.
error-method = Método no permitido
error-method-text = Esta dirección no acepta ese tipo de solicitud.
error-forbidden = Acceso denegado
error-forbidden-text = Tu cuenta no tiene permiso para abrir esta página.
error-forbidden-who = Has iniciado sesión como { $who } y esta cuenta no tiene permiso para abrir esta página.
error-two-factor = Autenticación de dos factores obligatoria
error-two-factor-text = Esta página requiere la autenticación de dos factores, que tu cuenta aún no tiene. Configúrala una vez con una aplicación de autenticación; después volverás aquí.
error-two-factor-set-up = Configurar ahora la autenticación de dos factores
error-unknown-host = Sitio desconocido
error-unknown-host-text = Esta pasarela no sirve ese nombre de host.
error-unknown-host-named = Esta pasarela no sirve { $host }.
error-go-to-portal = Ir al portal de inicio de sesión
error-too-large = Solicitud demasiado grande
error-too-large-text = El formulario o la solicitud superaba el tamaño permitido.
error-unavailable = No disponible temporalmente
error-unavailable-text = El servicio de inicio de sesión no está disponible temporalmente. Inténtalo de nuevo en un momento.
error-busy-text = Ahora mismo hay muchos inicios de sesión en curso, así que este no se ha comprobado. Inténtalo de nuevo dentro de unos segundos.
error-bad-gateway = Aplicación inaccesible
error-bad-gateway-text = La aplicación detrás de esta pasarela no responde.
error-timeout = La aplicación tardó demasiado
error-timeout-text = La aplicación detrás de esta pasarela tardó demasiado en responder.
error-internal = Algo ha salido mal
error-internal-text = La pasarela no ha podido completar la solicitud.
error-switch-account = Iniciar sesión con otra cuenta
bad-request-repeated-header = La solicitud repite una cabecera que solo debe aparecer una vez.
bad-request-two-hosts = La solicitud indica dos hosts distintos.
bad-request-no-host = La solicitud no indica ningún host.
bad-request-bad-host = El nombre de host no es válido.
bad-request-bad-path = La ruta no está permitida: usa una codificación o una secuencia que podría malinterpretarse.
bad-request-incomplete-form = El formulario estaba incompleto.
bad-request-language = Ese idioma no está disponible aquí.
bad-request-forwarded-for = X-Forwarded-For no indica la dirección del cliente.
bad-request-header-characters = Una cabecera contiene caracteres no permitidos.
bad-request-framing = La solicitud tiene a la vez Content-Length y Transfer-Encoding.

## Reglas de nombres y direcciones (se muestran tras «… no es válido:»)

rule-empty = no puede estar en blanco
rule-too-long = debe tener como máximo { $max } caracteres
rule-bad-character = solo puede contener a-z, 0-9, '.', '_', '-' y '@'
rule-control-characters = no debe contener caracteres de control
rule-spaces = no debe contener espacios
rule-email-form = debe tener el formato nombre@dominio

## Correos

mail-hello = Hola, { $name }:
mail-when = Cuándo: { $when }
mail-from = Origen: { $from }
mail-from-value = { $device }, dirección { $ip }
mail-your-account = Tu cuenta:
mail-signature = { $product } (cuenta { $username })
mail-not-you = Si no has sido tú, cambia tu contraseña ahora y ponte en contacto con tu administrador.
mail-by-admin = Si no esperabas este cambio, consúltalo con tu administrador.
mail-reset-subject = Restablece tu contraseña
mail-reset-1 = Alguien ha solicitado restablecer la contraseña de tu cuenta. Para elegir una nueva contraseña, abre este enlace:
mail-reset-2 = El enlace funciona una sola vez, durante { $valid }. Si no lo has solicitado, ignora este mensaje: tu contraseña no cambia.
mail-invite-subject = Tu nueva cuenta
mail-invite-1 = Un administrador ha creado una cuenta para ti. Para elegir tu contraseña e iniciar sesión, abre este enlace:
mail-invite-2 = El enlace funciona una sola vez, durante { $valid }. Si no esperabas esta cuenta, ignora este mensaje.
mail-changed-subject = Se ha cambiado tu contraseña
mail-changed-1 = Se ha cambiado la contraseña de tu cuenta y se han cerrado todas las demás sesiones.
mail-changed-2 = Si no has sido tú, restablece tu contraseña ahora y ponte en contacto con tu administrador.
mail-admin-set-subject = Un administrador ha restablecido tu contraseña
mail-admin-set-1 = Un administrador ha establecido una nueva contraseña para tu cuenta y ha cerrado tu sesión en todas partes. Te comunicará la nueva contraseña; si lo ha pedido, elegirás la tuya en el próximo inicio de sesión.
mail-2fa-on-subject = Autenticación de dos factores activada
mail-2fa-on-1 = La autenticación de dos factores está ahora activada en tu cuenta. Para iniciar sesión se necesita un código de tu aplicación de autenticación o uno de tus códigos de recuperación.
mail-2fa-off-subject = Autenticación de dos factores desactivada
mail-2fa-off-1 = Se ha desactivado la autenticación de dos factores de tu cuenta. Tus códigos de recuperación y tus dispositivos recordados ya no funcionan.
mail-2fa-reset-subject = Un administrador ha restablecido la autenticación de dos factores
mail-2fa-reset-1 = Un administrador ha desactivado la autenticación de dos factores de tu cuenta y ha cerrado tu sesión en todas partes. Puedes volver a configurarla en la página de tu cuenta.
mail-code-used-subject = Se ha usado un código de recuperación
mail-code-used-1 = Se ha usado un código de recuperación para iniciar sesión en tu cuenta. { $left ->
    [one] Queda { $left } código sin usar; cada uno funciona una sola vez.
   *[other] Quedan { $left } códigos sin usar; cada uno funciona una sola vez.
}
mail-codes-new-subject = Nuevos códigos de recuperación
mail-codes-new-1 = Se han generado nuevos códigos de recuperación para tu cuenta. Los anteriores ya no funcionan.

## Passkeys (docs/passkeys.md)
passkey-heading = Llaves de acceso
passkey-line = Añadida { $created }
passkey-last-used = último uso { $used }
passkey-rename = Renombrar
passkey-name = Nombre
passkey-rename-button = Guardar nombre
passkey-remove = Quitar
passkey-remove-named = Quitar la llave de acceso { $name }
passkey-none = Aún no hay llaves de acceso.
passkey-add = Añadir una llave de acceso
passkey-add-title = Añadir una llave de acceso
passkey-needs-script = Para añadir una llave de acceso, este navegador necesita JavaScript.
passkey-add-intro = Dé a la llave un nombre que reconozca (el dispositivo o la llave donde se guarda) y siga las indicaciones de su navegador.
passkey-create = Crear llave de acceso
passkey-cancelled = No se usó la llave de acceso. Inténtelo de nuevo o inicie sesión de otra forma.
passkey-back = Volver a su cuenta
passkey-sign-in = Iniciar sesión con una llave de acceso
passkey-use = Usar una llave de acceso
passkey-too-many = Tiene tantas llaves de acceso como se permite. Quite una primero.
passkey-name-invalid = Dé a la llave un nombre de 64 caracteres como máximo.
passkey-refused = No se aceptó esa llave de acceso.
passkey-expired = Tardó demasiado o ya se había usado. Inténtelo de nuevo.
passkey-sign-in-refused = Esa llave de acceso no inició su sesión.
account-done-passkey-added = Se añadió su llave de acceso.
account-done-passkey-renamed = Se cambió el nombre de la llave de acceso.
account-done-passkey-removed = Se quitó la llave de acceso.
mail-passkey-added-subject = Se añadió una llave de acceso a su cuenta
mail-passkey-added-1 = Se añadió a su cuenta una llave de acceso llamada «{ $name }». Ya puede iniciar su sesión.
mail-passkey-removed-subject = Se quitó una llave de acceso de su cuenta
mail-passkey-removed-1 = Se quitó de su cuenta la llave de acceso llamada «{ $name }».
code-intro-passkey = Use su llave de acceso para terminar de iniciar sesión como { $username }, o escriba un código abajo.
account-two-factor-passkeys = Sus llaves de acceso son su segundo factor. También puede configurar una aplicación de autenticación.
codes-intro-passkey = Se añadió su llave de acceso. Estos códigos le permiten iniciar sesión si la pierde.
