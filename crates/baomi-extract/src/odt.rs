use crate::{ExtractError, Extracted, Limits};
pub(crate) fn extract(
    _a: &mut crate::zipread::Archive<'_>,
    _l: &Limits,
) -> Result<Extracted, ExtractError> {
    Err(ExtractError::Unsupported("odt".into()))
}
