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

/// An RFC 6962 consistency proof (RFC 9162 §2.1.4.1) that the tree of the
/// first `old_size` entries is a prefix of the tree over all
/// `entry_hashes`; `None` when `old_size` is larger than the tree. Empty
/// when `old_size` is 0 or the whole tree (nothing to prove). A witness
/// checks it before cosigning a bigger checkpoint ([`crate::witness`]).
pub fn consistency_proof(entry_hashes: &[Hash], old_size: usize) -> Option<Vec<Hash>> {
    let n = entry_hashes.len();
    if old_size > n {
        return None;
    }
    if old_size == 0 || old_size == n {
        return Some(Vec::new());
    }
    let leaves: Vec<Hash> = entry_hashes.iter().map(|h| leaf_hash(h)).collect();
    Some(consistency_proof_of_leaves(&leaves, old_size))
}

/// [`consistency_proof`] over leaf hashes, `0 < old_size < leaves.len()`.
fn consistency_proof_of_leaves(leaves: &[Hash], old_size: usize) -> Vec<Hash> {
    fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
        let n = leaves.len();
        if m == n {
            if !complete {
                out.push(mth(leaves));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, &leaves[..k], complete, out);
            out.push(mth(&leaves[k..]));
        } else {
            subproof(m - k, &leaves[k..], false, out);
            out.push(mth(&leaves[..k]));
        }
    }
    let mut out = Vec::new();
    subproof(old_size, leaves, true, &mut out);
    out
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of
/// `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`. Equal sizes need equal roots and
/// an empty proof; an old size of 0 is consistent with anything (and needs
/// an empty proof, as tlog-witness requires).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && fr == *old_root && sr == *new_root
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

    #[test]
    fn consistency_proofs_verify_and_wrong_ones_fail() {
        let d = data(41);
        for n in 1..d.len() {
            let new_root = root(&d[..n]);
            for m in 0..=n {
                let old_root = root(&d[..m]);
                let p = consistency_proof(&d[..n], m).unwrap();
                assert!(
                    verify_consistency(m as u64, n as u64, &p, &old_root, &new_root),
                    "m={m} n={n}"
                );
                if m == 0 || m == n {
                    assert!(p.is_empty());
                    continue;
                }
                // Another history of the same size is not consistent.
                let mut other = d[..n].to_vec();
                other[m - 1] = [0xee; 32];
                assert!(
                    !verify_consistency(m as u64, n as u64, &p, &root(&other[..m]), &new_root),
                    "m={m} n={n}"
                );
                // Nor is a damaged proof, or the proof against another size.
                let mut bad = p.clone();
                bad[0][0] ^= 1;
                assert!(!verify_consistency(
                    m as u64, n as u64, &bad, &old_root, &new_root
                ));
                assert!(!verify_consistency(
                    m as u64,
                    n as u64 + 1,
                    &p,
                    &old_root,
                    &root(&d[..=n])
                ));
                assert!(!verify_consistency(
                    m as u64,
                    n as u64,
                    &p[1..],
                    &old_root,
                    &new_root
                ));
            }
            assert!(consistency_proof(&d[..n], n + 1).is_none());
        }
        assert!(!verify_consistency(3, 3, &[], &[1; 32], &[2; 32]));
        assert!(!verify_consistency(4, 3, &[], &[1; 32], &[1; 32]));
    }

    /// The RFC 6962 test tree used by Certificate Transparency and
    /// transparency-dev/merkle: eight leaves, their roots and three
    /// consistency proofs, computed by those independent implementations.
    #[test]
    fn consistency_matches_the_certificate_transparency_vectors() {
        let hx = |s: &str| -> Hash { crate::unhex::<32>(s.as_bytes()).unwrap() };
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (n, r) in roots.iter().enumerate() {
            assert_eq!(mth(&leaves[..=n]), hx(r), "root at size {}", n + 1);
        }
        let vectors: [(usize, usize, &[&str]); 3] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (m, n, proof) in vectors {
            let proof: Vec<Hash> = proof.iter().map(|p| hx(p)).collect();
            assert_eq!(
                consistency_proof_of_leaves(&leaves[..n], m),
                proof,
                "{m}→{n}"
            );
            let (r1, r2) = (hx(roots[m - 1]), hx(roots[n - 1]));
            assert!(
                verify_consistency(m as u64, n as u64, &proof, &r1, &r2),
                "{m}→{n}"
            );
            assert!(
                !verify_consistency(m as u64, n as u64, &proof, &r2, &r1),
                "{m}→{n}"
            );
        }
    }
}
