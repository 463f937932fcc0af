//! Pairing removed elements with added ones of the same shape.

use crate::describe::Renames;

/// Pairs each removed element with the first unpaired added element of the
/// same shape, and returns old full name -> new full name.
pub(super) fn match_renames<T>(
    removed: &[T],
    added: &[T],
    name: impl Fn(&T) -> String,
    shape: impl Fn(&T) -> String,
) -> Renames {
    let mut renames = Renames::new();
    let mut paired = vec![false; added.len()];
    for old in removed {
        let old_shape = shape(old);
        let candidate = added
            .iter()
            .enumerate()
            .find(|(index, new)| !paired[*index] && shape(new) == old_shape);
        if let Some((index, new)) = candidate {
            paired[index] = true;
            renames.insert(name(old), name(new));
        }
    }
    renames
}
