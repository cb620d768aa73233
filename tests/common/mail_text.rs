//! Reading what the gateway mails: the reset link of a message. Shared by every target that
//! reads mail (the service tier reads the `.eml` files of the file notifier).

/// The reset link in a mail (quoted-printable soft breaks undone).
pub fn link_in(mail: &str) -> String {
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = flat
        .find("http://")
        .unwrap_or_else(|| panic!("no link in {mail}"));
    flat[start..]
        .split(|c: char| c.is_whitespace() || c == '<' || c == '"')
        .next()
        .unwrap()
        .to_owned()
}
