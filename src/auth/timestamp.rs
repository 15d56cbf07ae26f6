//! Replay protection for schemes that sign a timestamp: the signed time must be within the
//! tolerance of now, in either direction (a clock far in the future is as suspect as an old one).

use super::AuthError;

/// Accepts `raw` (Unix seconds) when it is at most `tolerance_secs` away from `now_unix`.
pub(super) fn ensure_fresh(
    header: &str,
    raw: &str,
    now_unix: i64,
    tolerance_secs: u64,
) -> Result<(), AuthError> {
    let sent: i64 = raw.parse().map_err(|_| AuthError::Malformed {
        header: header.into(),
        reason: "the timestamp is not a number of Unix seconds",
    })?;
    let distance = (i128::from(now_unix) - i128::from(sent)).unsigned_abs();
    if distance > u128::from(tolerance_secs) {
        return Err(AuthError::StaleTimestamp {
            header: header.into(),
            tolerance_secs,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stale() -> Result<(), AuthError> {
        Err(AuthError::StaleTimestamp {
            header: "t".into(),
            tolerance_secs: 300,
        })
    }

    #[test]
    fn the_tolerance_boundary_is_inclusive_both_ways() {
        assert_eq!(ensure_fresh("t", "700", 1000, 300), Ok(()));
        assert_eq!(ensure_fresh("t", "1300", 1000, 300), Ok(()));
        assert_eq!(ensure_fresh("t", "699", 1000, 300), stale());
        assert_eq!(ensure_fresh("t", "1301", 1000, 300), stale());
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let max = i64::MAX.to_string();
        assert_eq!(ensure_fresh("t", &max, i64::MIN, 300), stale());
        assert_eq!(ensure_fresh("t", &max, i64::MAX, 0), Ok(()));
        assert_eq!(ensure_fresh("t", "0", 0, u64::MAX), Ok(()));
    }

    #[test]
    fn non_numbers_are_malformed() {
        for raw in ["", "abc", "1.5", "99999999999999999999"] {
            assert!(matches!(
                ensure_fresh("t", raw, 0, 300),
                Err(AuthError::Malformed { .. })
            ));
        }
    }
}
