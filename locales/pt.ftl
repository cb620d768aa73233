# Gatehouse — mensagens em português (tradução do catálogo de referência, en.ftl, que contém todas as chaves).
# Este catálogo traduz todas as chaves de en.ftl; um operador pode substituir mensagens individuais em
# <portal.templates_dir>/locales/<tag>.ftl. Os argumentos ($name) são escapados onde são apresentados.

language-name = Português

## Moldura de todas as páginas

frame-signed-in-as = Sessão iniciada como { $who }
frame-portal-home = Início do portal
frame-sign-out-or-switch = Terminar sessão ou mudar de conta
frame-request = Pedido { $id }
frame-language = Idioma
frame-language-change = Mudar
frame-show = Mostrar
frame-hide = Ocultar
frame-show-field = Mostrar { $field }

## Palavras comuns

common-username = Nome de utilizador
common-password = Palavra-passe
common-email = Email
common-name = Nome
common-groups = Grupos
common-status = Estado
common-sign-in = Iniciar sessão
common-sign-out = Terminar sessão
common-cancel = Cancelar
common-save = Guardar
common-none = nenhum
common-back-to-sign-in = Voltar ao início de sessão
common-back-to-account = Voltar à segurança da conta
common-back-to-users = Voltar aos utilizadores
common-account-security = Segurança da conta
common-admin = Administração
common-groups-hint = Separados por vírgulas, por exemplo { $example }.
common-password-hint = Pelo menos { $min } caracteres. Várias palavras sem relação entre si funcionam bem; não há outras regras.
common-new-password = Nova palavra-passe
common-new-password-again = Repita a nova palavra-passe
common-code-or-recovery = Código atual ou código de recuperação
common-this-device = Este dispositivo
common-device-on = { $browser } em { $platform }
common-unknown-device = Dispositivo desconhecido
common-verbatim = { $text }
common-signed-in-at = início de sessão
common-last-active = última atividade
common-sign-out-session = Terminar a sessão de { $device } a partir de { $ip } (sessão { $handle })
common-session-not-found = Essa sessão não foi encontrada. Pode já ter terminado.
common-confirmed-repeat = Palavra-passe confirmada. Repita agora a ação: ainda não foi executada.
common-too-many-attempts = Demasiadas tentativas falhadas. Tente novamente daqui a { $wait }.
common-form-expired = Este formulário tinha expirado, por isso nada foi alterado. Verifique-o e envie-o novamente.

## Durações

span-minutes = { $n ->
    [one] { $n } minuto
   *[other] { $n } minutos
}
span-hours = { $n ->
    [one] { $n } hora
   *[other] { $n } horas
}
span-days = { $n ->
    [one] { $n } dia
   *[other] { $n } dias
}
span-seconds = { $n ->
    [one] { $n } segundo
   *[other] { $n } segundos
}

## Iniciar sessão

login-title = Iniciar sessão
login-remember = Manter a sessão iniciada neste dispositivo durante { $days } dias
login-forgot = Esqueceu-se da palavra-passe?
login-failed = Nome de utilizador ou palavra-passe inválidos.
login-busy = Estão a decorrer muitos inícios de sessão neste momento. Tente novamente daqui a alguns segundos.
login-session-ended = A sua sessão terminou. Inicie sessão novamente para continuar.
login-form-incomplete = O formulário estava incompleto. Tente novamente.

## Segundo fator

code-title = Autenticação de dois fatores
code-intro-recovery = Introduza um dos códigos de recuperação que guardou para { $username }. Cada um só pode ser usado uma vez.
code-intro-app = Introduza o código de 6 dígitos da sua aplicação de autenticação para { $username }.
code-label-recovery = Código de recuperação
code-label-app = Código da sua aplicação de autenticação
code-trust-device = Confiar neste dispositivo durante { $days } dias
code-verify = Verificar
code-use-app = Usar antes o código da aplicação
code-use-recovery = Usar antes um código de recuperação
code-someone-else = Iniciar sessão como outra pessoa
code-invalid = Código inválido.
code-too-many = Demasiados códigos errados. Inicie sessão novamente.
code-sign-in-expired = O seu início de sessão expirou. Inicie sessão novamente.

## Início do portal e fim de sessão

home-title = Sessão iniciada
home-signed-in-as = Tem sessão iniciada como { $name } ({ $username }).
home-your-apps = As suas aplicações
home-two-factor-tag = dois fatores
logout-title = Terminar sessão?
logout-question = Tem sessão iniciada como { $name } ({ $username }). Terminar a sessão em todas as aplicações protegidas por este portal?
signed-out-title = Sessão terminada
signed-out-heading = Terminou a sessão
signed-out-message = A sua sessão foi terminada no servidor.
signed-out-again = Iniciar sessão novamente

## Segurança da conta

account-title = Segurança da conta
account-two-factor = Autenticação de dois fatores
account-two-factor-on = Ativada.
account-codes-unused = { $left ->
    [0] códigos de recuperação não utilizados.
    [one] código de recuperação não utilizado.
   *[other] códigos de recuperação não utilizados.
}
account-two-factor-off = Desativada.
account-regenerate = Gerar novos códigos de recuperação
account-regenerate-button = Gerar novos códigos
account-turn-off = Desativar a autenticação de dois fatores
account-turn-off-button = Desativar
account-set-up-2fa = Configurar a autenticação de dois fatores
account-change-password = Alterar palavra-passe
account-devices = Dispositivos memorizados
account-device-line = { $ip } · memorizado em { $created } · até { $expires }
account-forget = Esquecer
account-forget-device = Esquecer { $device }
account-no-devices = Nenhum. Um dispositivo em que confie ao iniciar sessão dispensa o código durante { $days } dias.
account-sessions = Sessões
account-sessions-link = Sessões ativas
account-sessions-hint = onde tem sessão iniciada; termine a sessão noutros dispositivos.
account-administration = Administração
account-admin-link = Área de administração
account-admin-hint = utilizadores, palavras-passe, sessões.
account-done-password = A sua palavra-passe foi alterada. Todas as outras sessões foram terminadas; esta continua ativa.
account-done-2fa-off = A autenticação de dois fatores está desativada.
account-done-device = Será pedido um código a esse dispositivo no próximo início de sessão.
account-wrong-password-or-code = A palavra-passe ou o código estava incorreto. Nada foi alterado.

## Confirmação da palavra-passe

reauth-title = Confirme a sua palavra-passe
reauth-intro = Para alterar as definições de segurança, tem de introduzir novamente a sua palavra-passe.
reauth-continue = Continuar
reauth-wrong = Palavra-passe incorreta.
reauth-kept = Assim que a sua palavra-passe for confirmada, o que pediu é executado: não precisa de o repetir.

## Configuração de dois fatores e códigos de recuperação

enroll-title = Configurar a autenticação de dois fatores
enroll-scan = Leia este código com uma aplicação de autenticação e, em seguida, introduza o código de 6 dígitos que a aplicação mostrar.
enroll-qr-label = Código QR com a chave de configuração apresentada abaixo em texto
enroll-by-hand = Não consegue ler o código? Introduza esta chave manualmente (baseada no tempo, SHA-1, 6 dígitos, 30 segundos):
enroll-on-phone = Ou, no próprio telefone,
enroll-open-link = abra a chave numa aplicação de autenticação
enroll-link-as-text = O mesmo link em texto:
enroll-code = Código da aplicação
enroll-turn-on = Ativar
enroll-mismatch = Esse código não corresponde. Verifique a hora do seu telefone e experimente o código seguinte.
codes-title = Os seus códigos de recuperação
codes-page-title = Códigos de recuperação
codes-intro-new = A autenticação de dois fatores está ativada.
codes-intro-regenerated = Os seus códigos de recuperação antigos deixaram de funcionar.
codes-explain = Cada código só pode ser usado uma vez, quando não tiver o telefone à mão. Guarde-os num lugar seguro: só são mostrados agora.
codes-label = Códigos de recuperação
codes-copy = Copiar
codes-copied = Copiado
codes-download = Transferir como texto
codes-continue = Já os guardei, continuar

## Palavras-passe

password-title-change = Alterar palavra-passe
password-title-forced = Definir uma nova palavra-passe
password-forced-notice = O seu administrador pede-lhe que escolha uma nova palavra-passe antes de continuar.
password-current = Palavra-passe atual
password-code = Código da sua aplicação de autenticação ou um código de recuperação
password-submit = Alterar palavra-passe
password-others-signed-out = Todas as outras sessões serão terminadas.
password-current-wrong = A palavra-passe atual está incorreta.
password-code-wrong = O código está incorreto.
password-too-short = Use pelo menos { $min } caracteres.
password-too-long = Use no máximo { $max } bytes.
password-predictable = Não construa a palavra-passe a partir do seu nome de utilizador nem do nome deste serviço.
password-control-characters = A palavra-passe contém caracteres de controlo.
password-too-common = Esta palavra-passe é demasiado comum e fácil de adivinhar. Experimente algumas palavras sem relação entre si.
password-mismatch = As duas novas palavras-passe não são iguais.
password-refused = A palavra-passe foi recusada: { $why }
forgot-title = Palavra-passe esquecida
forgot-heading = Esqueceu-se da palavra-passe?
forgot-intro = Introduza o seu nome de utilizador ou endereço de email. Se corresponder a uma conta, enviaremos um link para escolher uma nova palavra-passe.
forgot-who = Nome de utilizador ou email
forgot-send = Enviar o link
forgot-too-many = Demasiados pedidos a partir da sua rede. Tente novamente daqui a alguns minutos.
forgot-sent-title = Verifique o seu email
forgot-sent = Se o que introduziu corresponder a uma conta, vai receber um link para escolher uma nova palavra-passe. Só pode ser usado uma vez, durante { $valid }. Não recebeu nenhum email? Verifique a pasta de spam ou fale com o seu administrador.
reset-title = Escolha uma nova palavra-passe
reset-for = Para { $username }. Todas as sessões da conta serão terminadas.
reset-submit = Definir palavra-passe
reset-invalid-title = Link inválido
reset-invalid = Este link é inválido ou expirou. Peça um novo.
reset-ask-again = Pedir um novo link
reset-done-title = Palavra-passe alterada
reset-done = A sua nova palavra-passe está definida e todas as sessões da conta foram terminadas. Inicie sessão com a nova palavra-passe.

## Sessões ativas

sessions-title = Sessões ativas
sessions-intro = Onde { $username } tem sessão iniciada. Terminar uma sessão encerra-a imediatamente no servidor.
sessions-revoke-others = Terminar todas as outras sessões
sessions-none-other = Não há outras sessões.
sessions-confirmed = Palavra-passe confirmada. Escolha novamente a sessão a terminar.
sessions-done-revoked = A sessão foi terminada.
sessions-done-others = Todas as outras sessões foram terminadas.

## Área de administração

admin-users-title = Utilizadores
admin-area-line = Área de administração · sessão iniciada como { $username }
admin-search-label = Pesquisar utilizadores
admin-search-placeholder = Nome de utilizador, nome ou email
admin-search = Pesquisar
admin-create-user = Criar um utilizador
admin-found = { $found } de { $total } utilizadores correspondem a “{ $q }”.
admin-show-all = Mostrar todos
admin-truncated = Só são mostrados os primeiros { $max }: pesquise para restringir a lista.
admin-tag-disabled = desativado
admin-tag-2fa = 2FA ativa
admin-tag-must-change = tem de alterar a palavra-passe
admin-no-users = Não há utilizadores.
admin-no-match = Nenhum utilizador corresponde.
admin-field-two-factor = Dois fatores
admin-field-created = Criado
admin-created-line = { $created } · última alteração { $updated }
admin-tag-active = ativo
admin-tag-admin = administrador
admin-on = ativada
admin-off = desativada
admin-must-change-yes = tem de ser alterada no próximo início de sessão
admin-must-change-no = definida pelo utilizador
admin-profile-heading = Nome, email e grupos
admin-display-name = Nome a apresentar
admin-display-name-hint = Vazio: é usado o nome de utilizador.
admin-email-hint = Um novo endereço invalida os links de redefinição enviados para o antigo.
admin-groups-own = Não pode alterar aqui os seus próprios grupos.
admin-groups-sessions = As sessões do utilizador recebem os novos grupos de imediato.
admin-own-password = Altere a sua própria palavra-passe na página da sua conta.
admin-mode-temporary = Definir uma palavra-passe temporária, que lhe é mostrada uma vez (todas as sessões terminam)
admin-mode-link = Enviar por email um link de redefinição para { $email } (nunca o verá)
admin-no-notifier = Não está configurado nenhum notificador de email, por isso não é possível enviar links de redefinição.
admin-no-email = O utilizador não tem endereço de email, por isso não é possível enviar um link de redefinição.
admin-must-change-next = Tem de escolher uma nova palavra-passe no próximo início de sessão (palavra-passe temporária)
admin-reset-password = Redefinir palavra-passe
admin-account = Conta
admin-enable = Ativar
admin-disable = Desativar (termina todas as sessões agora)
admin-unlock = Desbloquear (levantar os bloqueios de início de sessão)
admin-reset-2fa = Redefinir a autenticação de dois fatores
admin-delete-link = Eliminar utilizador…
admin-myself = Não pode desativar nem eliminar a sua própria conta, nem redefinir aqui a sua própria autenticação de dois fatores.
admin-sessions = Sessões
admin-current-session = a sua sessão atual
admin-two-factors = dois fatores
admin-no-sessions = Nenhuma sessão ativa.
admin-revoke-all = Terminar todas as sessões
admin-step-up-note = Cada ação aqui exige que a sua palavra-passe tenha sido introduzida nos últimos minutos e fica registada no registo de auditoria.
admin-user-title = Utilizador { $username }
admin-done-created = O utilizador foi criado.
admin-done-invited = O utilizador foi criado e foi-lhe enviado por email um link de convite para escolher a palavra-passe.
admin-done-link = Foi enviado ao utilizador por email um link de redefinição da palavra-passe. A palavra-passe mantém-se até o utilizador usar o link.
admin-done-disabled = A conta está desativada e todas as suas sessões terminaram.
admin-done-enabled = A conta foi novamente ativada.
admin-done-unlocked = Os bloqueios de início de sessão da conta foram levantados.
admin-done-2fa = A autenticação de dois fatores foi desativada; as sessões e os dispositivos memorizados do utilizador foram terminados e foi enviado um aviso por email.
admin-done-revoked = A sessão foi terminada.
admin-done-revoked-all = Todas as sessões do utilizador foram terminadas.
admin-done-profile = O nome, o endereço de email e os grupos foram guardados.
admin-done-deleted = O utilizador foi eliminado e todas as suas sessões terminaram.
admin-choose-mode = Escolha uma palavra-passe temporária ou um link de redefinição.
admin-link-no-notifier = Não está configurado nenhum notificador de email: use uma palavra-passe temporária.
admin-link-no-email = O utilizador não tem endereço de email: use uma palavra-passe temporária.
admin-link-disabled = A conta está desativada, por isso um link de redefinição não funcionaria: ative-a primeiro.
admin-own-set-password = Não pode redefinir aqui a sua própria palavra-passe: altere-a na página da sua conta.
admin-own-disable = Não pode desativar a sua própria conta.
admin-own-reset-2fa = Não pode redefinir aqui a sua própria autenticação de dois fatores: desative-a na página da sua conta.
admin-own-current-session = Esta é a sua sessão atual: use antes “Terminar sessão”.
admin-own-revoke-all = Isto também terminaria a sua sessão atual: use “Terminar todas as outras sessões” na sua página de sessões.
admin-own-delete = Não pode eliminar a sua própria conta.
admin-own-groups = Não pode alterar aqui os seus próprios grupos (nem sair do grupo de administradores): peça a outro administrador.
admin-2fa-not-on = A autenticação de dois fatores não está ativada para este utilizador.
admin-bad-display-name = O nome a apresentar não é válido: { $why }.
admin-bad-email = O endereço de email não é válido: { $why }.
admin-bad-group = Um nome de grupo não é válido: { $why }.
admin-bad-username-or-group = O nome de utilizador ou um nome de grupo não é válido: { $why }.
admin-display-name-invalid = O nome a apresentar é demasiado longo ou contém caracteres de controlo.
admin-email-invalid = O endereço de email não é válido.
admin-user-exists = Já existe um utilizador com esse nome.
admin-new-title = Novo utilizador
admin-username-hint = Letras minúsculas, dígitos, '.', '_', '-' e '@'.
admin-initial-password = Palavra-passe inicial
admin-initial-password-hint = Pelo menos { $min } caracteres. Deixe em branco para gerar uma, mostrada uma vez na página seguinte.
admin-must-change-first = Tem de escolher uma nova palavra-passe no primeiro início de sessão
admin-invite = Em alternativa, enviar um convite por email: o utilizador escolhe a sua própria palavra-passe através de um link que só pode ser usado uma vez, durante { $valid } (requer o endereço de email)
admin-invite-no-notifier = Não está configurado nenhum notificador de email, por isso não é possível enviar um convite.
admin-invite-no-email = Um convite requer o endereço de email do utilizador.
admin-create = Criar utilizador
admin-created-title = Utilizador criado
admin-temporary-title = Palavra-passe temporária
admin-created-with = O utilizador { $username } foi criado com esta palavra-passe:
admin-new-password-of = A nova palavra-passe de { $username }:
admin-shown-once = Só é mostrada agora: transmita-a ao utilizador através de um canal em que confie.
admin-they-must-change = O utilizador terá de escolher uma nova palavra-passe quando iniciar sessão com ela pela primeira vez.
admin-they-keep = Não lhe é pedido que a altere.
admin-sessions-ended = Todas as sessões do utilizador terminaram e os seus dispositivos memorizados foram esquecidos.
admin-notice-mailed = Foi-lhe enviado um aviso por email.
admin-back-to = Voltar a { $username }
admin-all-users = Todos os utilizadores
admin-delete-title = Eliminar { $username }?
admin-back-to-user = Voltar ao utilizador
admin-delete-warning = A conta { $username } será eliminada: o utilizador deixa de poder iniciar sessão, { $sessions ->
    [0] qualquer sessão sua termina de imediato,
    [one] a sua única sessão ativa termina de imediato,
   *[other] as suas { $sessions } sessões ativas terminam de imediato,
} e a palavra-passe, a autenticação de dois fatores e os dispositivos memorizados são eliminados. Esta ação não pode ser anulada.
admin-delete-named = { $username } ({ $name })
admin-delete-button = Eliminar { $username }
admin-delete-note = Isto exige que a sua palavra-passe tenha sido introduzida nos últimos minutos e fica registado no registo de auditoria.

## Páginas de erro

error-bad-request = Pedido inválido
error-not-found = Não encontrado
error-not-found-text = Não existe nenhuma página aqui.
error-method = Método não permitido
error-method-text = Este endereço não aceita esse tipo de pedido.
error-forbidden = Acesso negado
error-forbidden-text = A sua conta não tem permissão para abrir esta página.
error-forbidden-who = Tem sessão iniciada como { $who } e esta conta não tem permissão para abrir esta página.
error-two-factor = Autenticação de dois fatores obrigatória
error-two-factor-text = Esta página exige autenticação de dois fatores, que a sua conta ainda não tem. Configure-a uma vez com uma aplicação de autenticação; depois, regressa aqui.
error-two-factor-set-up = Configurar agora a autenticação de dois fatores
error-unknown-host = Site desconhecido
error-unknown-host-text = Este gateway não serve esse nome de anfitrião.
error-unknown-host-named = Este gateway não serve { $host }.
error-go-to-portal = Ir para o portal de início de sessão
error-too-large = Pedido demasiado grande
error-too-large-text = O formulário ou o pedido excedia o tamanho permitido.
error-unavailable = Temporariamente indisponível
error-unavailable-text = O serviço de início de sessão está temporariamente indisponível. Tente novamente dentro de momentos.
error-busy-text = Estão a decorrer muitos inícios de sessão neste momento, por isso este não foi verificado. Tente novamente daqui a alguns segundos.
error-bad-gateway = Aplicação inacessível
error-bad-gateway-text = A aplicação por trás deste gateway não responde.
error-timeout = A aplicação excedeu o tempo limite
error-timeout-text = A aplicação por trás deste gateway demorou demasiado a responder.
error-internal = Ocorreu um erro
error-internal-text = O gateway não conseguiu concluir o pedido.
error-switch-account = Iniciar sessão como outra pessoa
bad-request-repeated-header = O pedido repete um cabeçalho que só pode aparecer uma vez.
bad-request-two-hosts = O pedido indica dois anfitriões diferentes.
bad-request-no-host = O pedido não indica nenhum anfitrião.
bad-request-bad-host = O nome de anfitrião não é válido.
bad-request-bad-path = O caminho não é permitido: usa uma codificação ou sequência que pode ser mal interpretada.
bad-request-incomplete-form = O formulário estava incompleto.
bad-request-language = Esse idioma não está disponível aqui.
bad-request-forwarded-for = X-Forwarded-For não indica o endereço do cliente.
bad-request-header-characters = Um cabeçalho contém caracteres não permitidos.
bad-request-framing = O pedido tem simultaneamente Content-Length e Transfer-Encoding.

## Regras de nomes e endereços (mostradas depois de "não é válido:")

rule-empty = não pode estar vazio
rule-too-long = pode ter no máximo { $max } caracteres
rule-bad-character = só pode conter a-z, 0-9, '.', '_', '-' e '@'
rule-control-characters = não pode conter caracteres de controlo
rule-spaces = não pode conter espaços
rule-email-form = tem de ter o formato nome@domínio

## Email

mail-hello = Olá { $name },
mail-when = Quando: { $when }
mail-from = Origem: { $from }
mail-from-value = { $device }, endereço { $ip }
mail-your-account = A sua conta:
mail-signature = { $product } (conta { $username })
mail-not-you = Se não foi você, altere já a sua palavra-passe e fale com o seu administrador.
mail-by-admin = Se não esperava esta alteração, pergunte ao seu administrador.
mail-reset-subject = Redefinir a sua palavra-passe
mail-reset-1 = Alguém pediu a redefinição da palavra-passe da sua conta. Para escolher uma nova palavra-passe, abra este link:
mail-reset-2 = O link só pode ser usado uma vez, durante { $valid }. Se não foi você que o pediu, ignore esta mensagem: a sua palavra-passe mantém-se.
mail-invite-subject = A sua nova conta
mail-invite-1 = Um administrador criou uma conta para si. Para escolher a sua palavra-passe e iniciar sessão, abra este link:
mail-invite-2 = O link só pode ser usado uma vez, durante { $valid }. Se não esperava esta conta, ignore esta mensagem.
mail-changed-subject = A sua palavra-passe foi alterada
mail-changed-1 = A palavra-passe da sua conta foi alterada e todas as outras sessões foram terminadas.
mail-changed-2 = Se não foi você, redefina já a sua palavra-passe e fale com o seu administrador.
mail-admin-set-subject = A sua palavra-passe foi redefinida por um administrador
mail-admin-set-1 = Um administrador definiu uma nova palavra-passe para a sua conta e terminou todas as suas sessões. O administrador vai comunicar-lhe a nova palavra-passe; se o tiver pedido, escolherá a sua própria no próximo início de sessão.
mail-2fa-on-subject = Autenticação de dois fatores ativada
mail-2fa-on-1 = A autenticação de dois fatores está agora ativada na sua conta. Para iniciar sessão, é necessário um código da sua aplicação de autenticação ou um dos seus códigos de recuperação.
mail-2fa-off-subject = Autenticação de dois fatores desativada
mail-2fa-off-1 = A autenticação de dois fatores foi desativada na sua conta. Os seus códigos de recuperação e dispositivos memorizados deixaram de funcionar.
mail-2fa-reset-subject = Autenticação de dois fatores redefinida por um administrador
mail-2fa-reset-1 = Um administrador desativou a autenticação de dois fatores da sua conta e terminou todas as suas sessões. Pode configurá-la novamente na página da sua conta.
mail-code-used-subject = Foi usado um código de recuperação
mail-code-used-1 = Foi usado um código de recuperação para iniciar sessão na sua conta. { $left ->
    [0] Já não restam códigos por utilizar; cada um só pode ser usado uma vez.
    [one] Resta { $left } código não utilizado; cada um só pode ser usado uma vez.
   *[other] Restam { $left } códigos não utilizados; cada um só pode ser usado uma vez.
}
mail-codes-new-subject = Novos códigos de recuperação
mail-codes-new-1 = Foram gerados novos códigos de recuperação para a sua conta. Os antigos deixaram de funcionar.

## Passkeys (docs/passkeys.md)
passkey-heading = Chaves de acesso
passkey-line = Adicionada { $created }
passkey-last-used = último uso { $used }
passkey-rename = Renomear
passkey-name = Nome
passkey-rename-button = Guardar nome
passkey-remove = Remover
passkey-remove-named = Remover a chave de acesso { $name }
passkey-none = Ainda não há chaves de acesso.
passkey-add = Adicionar uma chave de acesso
passkey-add-title = Adicionar uma chave de acesso
passkey-needs-script = Para adicionar uma chave de acesso, este navegador precisa de JavaScript.
passkey-add-intro = Dê à chave um nome que reconheça (o dispositivo ou a chave onde fica) e siga as indicações do seu navegador.
passkey-create = Criar chave de acesso
passkey-cancelled = A chave de acesso não foi usada. Tente de novo ou inicie sessão de outra forma.
passkey-back = Voltar à sua conta
passkey-sign-in = Iniciar sessão com uma chave de acesso
passkey-use = Usar uma chave de acesso
passkey-too-many = Tem tantas chaves de acesso quanto o permitido. Remova uma primeiro.
passkey-name-invalid = Dê à chave um nome com 64 caracteres no máximo.
passkey-refused = Essa chave de acesso não foi aceite.
passkey-expired = Demorou demasiado ou já tinha sido usada. Tente de novo.
passkey-sign-in-refused = Essa chave de acesso não iniciou a sua sessão.
account-done-passkey-added = A sua chave de acesso foi adicionada.
account-done-passkey-renamed = A chave de acesso foi renomeada.
account-done-passkey-removed = A chave de acesso foi removida.
mail-passkey-added-subject = Foi adicionada uma chave de acesso à sua conta
mail-passkey-added-1 = Foi adicionada à sua conta uma chave de acesso chamada «{ $name }». Já pode iniciar a sua sessão.
mail-passkey-removed-subject = Foi removida uma chave de acesso da sua conta
mail-passkey-removed-1 = A chave de acesso chamada «{ $name }» foi removida da sua conta.
code-intro-passkey = Use a sua chave de acesso para terminar de iniciar sessão como { $username }, ou introduza um código abaixo.
account-two-factor-passkeys = As suas chaves de acesso são o seu segundo fator. Também pode configurar uma aplicação de autenticação.
codes-intro-passkey = A sua chave de acesso foi adicionada. Estes códigos permitem iniciar sessão se a perder.
