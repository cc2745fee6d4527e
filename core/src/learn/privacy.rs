//! Differential privacy for model updates: clip to an L2 bound C, add N(0, (σC)²) noise drawn
//! from the operating system's CSPRNG (never a seedable or statistical generator), and account
//! for the privacy spent with Rényi DP (Mironov 2017) — the Gaussian mechanism costs α/(2σ²) at
//! order α per round, rounds add up, and the total converts to (ε, δ) with the tighter bound of
//! Balle et al. 2020 (the conversion Opacus and TensorFlow Privacy use).
//!
//! Each round the whole update of one person is one release (client-level DP, no subsampling
//! amplification is claimed: a phone cannot know how many others the enclave sampled).

use super::LearnError;

/// Rényi orders the accountant tracks (the usual grid).
pub const RDP_ORDERS: [f64; 23] = [
    1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0,
    24.0, 32.0, 48.0, 64.0, 128.0, 256.0,
];

/// The L2 norm, accumulated in f64.
pub fn l2_norm(values: &[f32]) -> f64 {
    values.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>().sqrt()
}

/// Scales `update` so its L2 norm is at most `bound`; returns the norm before clipping.
/// Refuses a non-positive or non-finite bound and an update with non-finite values.
pub fn clip_l2(update: &mut [f32], bound: f64) -> Result<f64, LearnError> {
    if !(bound.is_finite() && bound > 0.0) {
        return Err(LearnError::InvalidInput { reason: "the clip norm must be positive" });
    }
    if update.iter().any(|v| !v.is_finite()) {
        return Err(LearnError::InvalidInput { reason: "the update has non-finite values" });
    }
    let norm = l2_norm(update);
    if norm > bound {
        // A hair under the bound, so rounding to f32 cannot push the norm over it.
        let scale = bound / norm * (1.0 - 1e-6);
        for v in update.iter_mut() {
            *v = (f64::from(*v) * scale) as f32;
        }
    }
    Ok(norm)
}

/// The noise the aggregator adds to an example-weighted average of updates so that it protects
/// every contributor as well as an even average would (0 when nothing is needed).
///
/// Client i's update carries its own noise N(0, (σC)²/shares) and enters the average with
/// weight wᵢ = nᵢ / Σn. The average's noise then has variance (σC)² Σwᵢ² / shares, while one
/// client can move it by at most w_max C. The mechanism is σ-Gaussian for every client only if
/// that variance is at least (σ C w_max)², so the aggregator tops it up by the difference. With
/// even counts and at least `shares` updates nothing is added; one update holding most of the
/// examples makes the aggregator add nearly σC itself. Example counts are treated as known to
/// the aggregator (they travel in the sealed update), as in DP-FedAvg.
pub fn top_up_noise_std(counts: &[u64], noise_multiplier: f64, clip_norm: f64, shares: u32) -> f64 {
    let total: f64 = counts.iter().map(|n| *n as f64).sum();
    if total <= 0.0 || shares == 0 {
        return 0.0;
    }
    let weights = counts.iter().map(|n| *n as f64 / total);
    let max = weights.clone().fold(0.0f64, f64::max);
    let sum_sq: f64 = weights.map(|w| w * w).sum();
    let missing = max * max - sum_sq / f64::from(shares);
    if missing > max * max * 1e-9 {
        noise_multiplier * clip_norm * missing.sqrt()
    } else {
        0.0
    }
}

/// Uniform doubles in (0, 1] from the OS CSPRNG, 53 bits each.
fn uniforms(count: usize) -> Result<Vec<f64>, LearnError> {
    let mut bytes = vec![0u8; count * 8];
    getrandom::fill(&mut bytes).map_err(|_| LearnError::Randomness)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let bits = u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) >> 11;
            (bits as f64 + 1.0) / (1u64 << 53) as f64
        })
        .collect())
}

/// Adds N(0, std²) to each value (Box–Muller over CSPRNG uniforms).
pub fn add_gaussian_noise(update: &mut [f32], std: f64) -> Result<(), LearnError> {
    if !(std.is_finite() && std >= 0.0) {
        return Err(LearnError::InvalidInput { reason: "the noise scale must be non-negative" });
    }
    const BATCH: usize = 4096;
    for chunk in update.chunks_mut(BATCH) {
        let u = uniforms(chunk.len() + chunk.len() % 2)?;
        for (i, pair) in u.chunks_exact(2).enumerate() {
            let r = (-2.0 * pair[0].ln()).sqrt();
            let theta = std::f64::consts::TAU * pair[1];
            for (j, z) in [r * theta.cos(), r * theta.sin()].into_iter().enumerate() {
                if let Some(v) = chunk.get_mut(2 * i + j) {
                    *v = (f64::from(*v) + std * z) as f32;
                }
            }
        }
    }
    Ok(())
}

/// Privacy spent so far, as Rényi DP at each of [`RDP_ORDERS`].
#[derive(Debug, Clone, PartialEq)]
pub struct RdpAccountant {
    rdp: Vec<f64>,
    rounds: u32,
}

impl Default for RdpAccountant {
    fn default() -> Self {
        Self { rdp: vec![0.0; RDP_ORDERS.len()], rounds: 0 }
    }
}

fn check_sigma(noise_multiplier: f64) -> Result<(), LearnError> {
    if noise_multiplier.is_finite() && noise_multiplier > 0.0 {
        Ok(())
    } else {
        Err(LearnError::InvalidInput { reason: "the noise multiplier must be positive" })
    }
}

impl RdpAccountant {
    /// An accountant that has already spent `rdp` over `rounds` (as stored).
    pub fn from_parts(rdp: Vec<f64>, rounds: u32) -> Result<Self, LearnError> {
        if rdp.len() != RDP_ORDERS.len() || rdp.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(LearnError::InvalidInput { reason: "stored privacy spending is damaged" });
        }
        Ok(Self { rdp, rounds })
    }

    /// The RDP spent at each order, and the rounds.
    pub fn parts(&self) -> (&[f64], u32) {
        (&self.rdp, self.rounds)
    }

    /// Adds one round of the Gaussian mechanism with noise multiplier σ (noise std σC for
    /// clip norm C).
    pub fn add_round(&mut self, noise_multiplier: f64) -> Result<(), LearnError> {
        check_sigma(noise_multiplier)?;
        for (rdp, alpha) in self.rdp.iter_mut().zip(RDP_ORDERS) {
            *rdp += alpha / (2.0 * noise_multiplier * noise_multiplier);
        }
        self.rounds += 1;
        Ok(())
    }

    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// ε spent at `delta`, minimised over the orders.
    pub fn epsilon(&self, delta: f64) -> Result<f64, LearnError> {
        if !(delta > 0.0 && delta < 1.0) {
            return Err(LearnError::InvalidInput { reason: "δ is between 0 and 1" });
        }
        if self.rounds == 0 {
            return Ok(0.0);
        }
        let best = self
            .rdp
            .iter()
            .zip(RDP_ORDERS)
            .map(|(rdp, a)| rdp + ((a - 1.0) / a).ln() - (delta.ln() + a.ln()) / (a - 1.0))
            .fold(f64::INFINITY, f64::min);
        Ok(best.max(0.0))
    }
}

/// The owner's privacy budget: the most (ε, δ) all their contributions together may spend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrivacyBudget {
    pub epsilon: f64,
    pub delta: f64,
}

impl PrivacyBudget {
    /// Whether one more round at noise multiplier σ stays within the budget; returns the ε
    /// the owner would then have spent.
    pub fn check_round(
        &self,
        spent: &RdpAccountant,
        noise_multiplier: f64,
    ) -> Result<f64, LearnError> {
        let mut next = spent.clone();
        next.add_round(noise_multiplier)?;
        let would_be = next.epsilon(self.delta)?;
        if would_be > self.epsilon {
            return Err(LearnError::BudgetExceeded { would_be, budget: self.epsilon });
        }
        Ok(would_be)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_holds_the_bound_and_keeps_direction() {
        let mut big = vec![3.0f32, 4.0, 0.0, -12.0];
        let before = clip_l2(&mut big, 1.0).expect("clip");
        assert!((before - 13.0).abs() < 1e-9);
        assert!(l2_norm(&big) <= 1.0, "{}", l2_norm(&big));
        assert!((f64::from(big[0]) / f64::from(big[1]) - 0.75).abs() < 1e-6, "same direction");
        let mut small = vec![0.1f32, -0.2];
        let copy = small.clone();
        clip_l2(&mut small, 1.0).expect("clip");
        assert_eq!(small, copy, "under the bound: untouched");
        // Many random updates, many bounds: never over.
        for bound in [1e-3, 0.1, 1.0, 7.5] {
            let mut u = vec![0.0f32; 1000];
            add_gaussian_noise(&mut u, 3.0).expect("noise");
            clip_l2(&mut u, bound).expect("clip");
            assert!(l2_norm(&u) <= bound, "{bound}: {}", l2_norm(&u));
        }
        assert!(clip_l2(&mut [1.0], 0.0).is_err());
        assert!(clip_l2(&mut [f32::NAN], 1.0).is_err());
        assert!(clip_l2(&mut [1.0], f64::INFINITY).is_err());
    }

    #[test]
    fn noise_has_the_asked_spread_and_differs_each_time() {
        let n = 200_000;
        let mut a = vec![0.0f32; n];
        add_gaussian_noise(&mut a, 2.0).expect("noise");
        let mean = a.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
        let var = a.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: mean 2/√n ≈ 0.0045, std about 0.003; allow five of them.
        assert!(mean.abs() < 0.025, "mean {mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.02, "std {}", var.sqrt());
        let within_one = a.iter().filter(|v| v.abs() <= 2.0).count() as f64 / n as f64;
        assert!((within_one - 0.6827).abs() < 0.005, "{within_one}");
        let mut b = vec![0.0f32; n];
        add_gaussian_noise(&mut b, 2.0).expect("noise");
        assert_ne!(a[..16], b[..16], "not a fixed sequence");
        assert!(add_gaussian_noise(&mut b, -1.0).is_err());
        assert!(add_gaussian_noise(&mut b, f64::NAN).is_err());
    }

    #[test]
    fn the_accountant_composes_and_converts() {
        let delta = 1e-5;
        let mut acc = RdpAccountant::default();
        assert_eq!(acc.epsilon(delta).expect("eps"), 0.0);
        acc.add_round(1.0).expect("round");
        let one = acc.epsilon(delta).expect("eps");
        // A valid upper bound: above the Gaussian mechanism's exact ε for σ = 1, δ = 1e-5
        // (4.377, the analytic Gaussian mechanism of Balle & Wang 2018, solved numerically), and
        // below the classic conversion ε ≤ RDP(α) + ln(1/δ)/(α−1) at the grid's best α (5.303).
        // Balle et al. 2020's conversion gives 4.753 on this grid.
        assert!(one > 4.377 && one < 5.303, "{one}");
        assert!((one - 4.7527).abs() < 1e-3, "{one}");
        // More rounds cost more, sublinearly; more noise costs less.
        acc.add_round(1.0).expect("round");
        let two = acc.epsilon(delta).expect("eps");
        assert!(two > one && two < 2.0 * one, "{one} {two}");
        let mut quiet = RdpAccountant::default();
        quiet.add_round(4.0).expect("round");
        assert!(quiet.epsilon(delta).expect("eps") < one);
        assert!(acc.epsilon(0.0).is_err() && acc.epsilon(1.0).is_err());
        assert!(acc.add_round(0.0).is_err());
        let (rdp, rounds) = acc.parts();
        assert_eq!(RdpAccountant::from_parts(rdp.to_vec(), rounds).expect("parts"), acc);
        assert!(RdpAccountant::from_parts(vec![0.0; 3], 1).is_err());
        assert!(RdpAccountant::from_parts(vec![f64::NAN; RDP_ORDERS.len()], 1).is_err());
    }

    #[test]
    fn the_budget_refuses_a_round_that_would_overspend() {
        let budget = PrivacyBudget { epsilon: 8.0, delta: 1e-5 };
        let mut spent = RdpAccountant::default();
        let mut joined = 0;
        while let Ok(eps) = budget.check_round(&spent, 1.5) {
            assert!(eps <= 8.0);
            spent.add_round(1.5).expect("round");
            joined += 1;
            assert!(joined < 1000);
        }
        assert!(joined >= 2, "{joined}");
        assert!(matches!(
            budget.check_round(&spent, 1.5),
            Err(LearnError::BudgetExceeded { would_be, budget }) if would_be > budget
        ));
        assert!(spent.epsilon(1e-5).expect("eps") <= 8.0);
    }
}
