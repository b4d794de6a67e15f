//! RFC 6962 Merkle tree hashing over entry hashes.
//!
//! Leaf `i` of the tree is entry `seq = i + 1`; its leaf data is the entry's
//! 32-byte hash. `leaf = SHA-256(0x00 || data)`, `node = SHA-256(0x01 || left
//! || right)`, and a tree of `n > 1` leaves splits at the largest power of two
//! smaller than `n`. A checkpoint (tree size + root) therefore commits to every
//! entry up to that size, and an inclusion proof shows that one entry is in it.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 value.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The Merkle tree hash of leaves given as their leaf hashes.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The root over entry hashes (each is leaf data, hashed with [`leaf_hash`]).
pub fn root(entry_hashes: &[Hash]) -> Hash {
    let leaves: Vec<Hash> = entry_hashes.iter().map(|h| leaf_hash(h)).collect();
    mth(&leaves)
}

/// The audit path for leaf `index` in a tree over `entry_hashes`; `None`
/// when the index is out of range.
pub fn inclusion_proof(entry_hashes: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= entry_hashes.len() {
        return None;
    }
    let leaves: Vec<Hash> = entry_hashes.iter().map(|h| leaf_hash(h)).collect();
    let mut path = Vec::new();
    fn walk(leaves: &[Hash], m: usize, path: &mut Vec<Hash>) {
        let n = leaves.len();
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            walk(&leaves[..k], m, path);
            path.push(mth(&leaves[k..]));
        } else {
            walk(&leaves[k..], m - k, path);
            path.push(mth(&leaves[..k]));
        }
    }
    walk(&leaves, index, &mut path);
    Some(path)
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2): that `entry_hash` is leaf
/// `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    entry_hash: &Hash,
    index: u64,
    size: u64,
    path: &[Hash],
    root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf_hash(entry_hash);
    for p in path {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// The root of a growing tree, kept in `O(log n)` memory: the roots of the
/// perfect subtrees that the binary digits of the size name, largest first.
/// A process that appends keeps one so that signing a checkpoint after each
/// batch does not re-hash the whole ledger.
///
/// ```
/// use baomi_ledger::merkle::{root, Frontier};
/// let hashes: Vec<[u8; 32]> = (0u8..5).map(|i| [i; 32]).collect();
/// let mut f = Frontier::default();
/// for h in &hashes {
///     f.push(h);
/// }
/// assert_eq!(f.size(), 5);
/// assert_eq!(f.root(), root(&hashes));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    /// (height, root) of each perfect subtree, heights strictly decreasing.
    peaks: Vec<(u32, Hash)>,
    size: u64,
}

impl Frontier {
    /// Adds the next entry hash (leaf data).
    pub fn push(&mut self, entry_hash: &Hash) {
        let mut node = (0u32, leaf_hash(entry_hash));
        while let Some(&(h, left)) = self.peaks.last() {
            if h != node.0 {
                break;
            }
            self.peaks.pop();
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 6962 root of the leaves so far (equal to [`root`]).
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = peaks.next() else {
            return Sha256::digest([]).into();
        };
        for (_, left) in peaks {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| Sha256::digest(i.to_be_bytes()).into())
            .collect()
    }

    #[test]
    fn small_trees_by_hand() {
        let d = data(3);
        let l: Vec<Hash> = d.iter().map(|x| leaf_hash(x)).collect();
        assert_eq!(root(&d[..1]), l[0]);
        assert_eq!(root(&d[..2]), node_hash(&l[0], &l[1]));
        assert_eq!(root(&d), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(root(&[]), <[u8; 32]>::from(Sha256::digest([])));
    }

    #[test]
    fn every_proof_verifies_and_wrong_ones_fail() {
        for n in 1..=33 {
            let d = data(n);
            let r = root(&d);
            for i in 0..n {
                let p = inclusion_proof(&d, i).unwrap();
                assert!(
                    verify_inclusion(&d[i], i as u64, n as u64, &p, &r),
                    "n={n} i={i}"
                );
                assert!(!verify_inclusion(&d[(i + 1) % n], i as u64, n as u64, &p, &r) || n == 1);
                // The same path does not lead to the root of a bigger tree.
                let bigger = root(&data(n + 1));
                assert!(
                    !verify_inclusion(&d[i], i as u64, n as u64 + 1, &p, &bigger),
                    "n={n} i={i}"
                );
            }
            assert!(inclusion_proof(&d, n).is_none());
        }
    }

    #[test]
    fn frontier_root_equals_the_tree_root_at_every_size() {
        let d = data(70);
        let mut f = Frontier::default();
        assert_eq!(f.root(), root(&[]));
        for n in 1..=d.len() {
            f.push(&d[n - 1]);
            assert_eq!(f.size(), n as u64);
            assert_eq!(f.root(), root(&d[..n]), "n={n}");
        }
    }
}
