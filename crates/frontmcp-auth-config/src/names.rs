//! Key spellings: the seeds' camelCase to our snake_case, and "did you mean" suggestions.

/// Converts a key to its canonical snake_case spelling.
///
/// `tokenStorage` becomes `token_storage`, `accessTokenTtl` becomes `access_token_ttl`; keys that
/// are already snake_case are unchanged. Kebab-case (`key-prefix`) is accepted as well.
pub fn canonical_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut previous_lower = false;
    for ch in key.chars() {
        if ch == '-' {
            out.push('_');
            previous_lower = false;
        } else if ch.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
            previous_lower = false;
        } else {
            out.push(ch);
            previous_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        }
    }
    out
}

/// The candidate closest to `key` by edit distance, when it is close enough to be a likely typo.
pub fn nearest<'a>(key: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let key = canonical_key(key);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&key, candidate);
        if best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    let (distance, candidate) = best?;
    let allowed = (key.chars().count().max(candidate.chars().count()) / 3).max(1);
    let contains = candidate.contains(key.as_str()) || key.contains(candidate);
    (distance <= allowed || (contains && key.len() >= 3)).then_some(candidate)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
/// (optimal string alignment), by characters: `prot` is one edit from `port`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys_become_snake_case() {
        assert_eq!(canonical_key("tokenStorage"), "token_storage");
        assert_eq!(canonical_key("accessTokenTtl"), "access_token_ttl");
        assert_eq!(canonical_key("splitByApp"), "split_by_app");
        assert_eq!(canonical_key("key-prefix"), "key_prefix");
        assert_eq!(canonical_key("already_snake"), "already_snake");
        assert_eq!(canonical_key("jwksUri"), "jwks_uri");
    }

    #[test]
    fn suggests_the_nearest_key_for_typos() {
        let keys = ["enabled", "group_by_app", "show_descriptions"];
        assert_eq!(nearest("enabeld", keys), Some("enabled"));
        assert_eq!(nearest("groupByApps", keys), Some("group_by_app"));
        assert_eq!(nearest("zzz", keys), None);
        assert_eq!(nearest("prot", ["port", "entry_path"]), Some("port"));
    }
}
