use crate::{ExtractError, Extracted, Limits};
pub(crate) fn extract(_a: &[u8], _l: &Limits) -> Result<Extracted, ExtractError> {
    Err(ExtractError::Unsupported("html".into()))
}
