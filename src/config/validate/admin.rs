//! Validation of `[admin]`: the group whose members may use the admin area.

use super::Ctx;
use crate::config::file::RawAdmin;
use crate::config::types::AdminConfig;
use crate::domain::user::parse_group;

pub(super) fn admin(cx: &mut Ctx<'_>, raw: &RawAdmin) -> AdminConfig {
    let group = match parse_group(&raw.group) {
        Ok(g) => g,
        Err(e) => {
            cx.problem(
                "admin.group",
                &format!("{:?} is not a group name: {e}", raw.group),
                "use a group name such as \"admins\" (a-z, 0-9, '.', '_', '-')",
            );
            "admins".into()
        }
    };
    AdminConfig { group }
}
