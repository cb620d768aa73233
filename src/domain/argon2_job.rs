//! One argon2id computation, run as its caller says: in one call to the `argon2` crate, or a
//! few blocks at a time with a pause between them (src/domain/argon2_steps.rs).

use std::ops::ControlFlow;

use argon2::{Argon2, Version};

use super::argon2_memory::Workspace;
use super::argon2_steps::{Inputs, Steps};
use super::password::HashError;

/// How a hash runs.
pub enum Pace<'p> {
    /// In one call to the `argon2` crate: on a thread that never delays the serving runtime.
    AtOnce,
    /// A few blocks at a time, with `pause` called between them: beside a busy serving runtime,
    /// so that it never waits long for the core (src/domain/argon2_steps.rs). Shapes the
    /// stepped code does not hash run at once. `pause` answers `Break` when the hash is no
    /// longer wanted (another thread answered its job first): the run then stops there with
    /// [`HashError::Abandoned`].
    Steps {
        blocks: usize,
        pause: &'p mut dyn FnMut() -> ControlFlow<()>,
    },
}

/// One argon2id computation's inputs.
pub(super) struct Job<'a> {
    pub argon2: &'a Argon2<'a>,
    pub version: Version,
    pub password: &'a [u8],
    pub salt: &'a [u8],
    pub pepper: Option<&'a [u8]>,
}

impl Job<'_> {
    /// Fills `out` with the tag.
    pub fn run(&self, ws: &mut Workspace, pace: Pace<'_>, out: &mut [u8]) -> Result<(), HashError> {
        let params = self.argon2.params();
        if let Pace::Steps {
            blocks: budget,
            pause,
        } = pace
        {
            let inputs = Inputs {
                password: self.password,
                salt: self.salt,
                secret: self.pepper.unwrap_or_default(),
                data: &[],
                memory_kib: params.m_cost(),
                passes: params.t_cost(),
                lanes: params.p_cost(),
                version: u32::from(self.version),
                tag_len: out.len(),
            };
            // The crate checks the lengths it takes; the stepped code hashes the same inputs,
            // so it runs only on inputs the crate accepts.
            let checked = self.salt.len() >= argon2::MIN_SALT_LEN
                && self.salt.len() <= argon2::MAX_SALT_LEN
                && self.password.len() <= argon2::MAX_PWD_LEN;
            let blocks = ws.blocks(params.block_count());
            if let (true, Ok(mut steps)) = (checked, Steps::start(&inputs, blocks)) {
                while !steps.step(budget) {
                    if pause().is_break() {
                        return Err(HashError::Abandoned);
                    }
                }
                return steps
                    .tag(out)
                    .map_err(|_| HashError::Params("tag length".into()));
            }
        }
        let blocks = ws.blocks(params.block_count());
        self.argon2
            .hash_password_into_with_memory(self.password, self.salt, out, blocks)
            .map_err(|e| HashError::Params(e.to_string()))
    }
}
