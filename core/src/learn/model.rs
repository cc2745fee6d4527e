//! A tagging head's weights as plain numbers, and how they travel: safetensors files (the global
//! model the enclave publishes, and the update a phone sends, each with its round's metadata),
//! weight differences, and the enclave's weighted average (FedAvg). No candle here: the enclave
//! uses this too.

use super::LearnError;
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;

/// The largest head we accept: 4,096 inputs × 256 labels.
const MAX_DIM: usize = 4096;
const MAX_LABELS: usize = 256;

/// A linear head's parameters: `weight` is `labels × dim`, row-major; `bias` has `labels`.
#[derive(Clone, PartialEq)]
pub struct HeadWeights {
    pub dim: usize,
    pub labels: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl std::fmt::Debug for HeadWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadWeights").field("dim", &self.dim).field("labels", &self.labels).finish()
    }
}

fn invalid(reason: &'static str) -> LearnError {
    LearnError::InvalidInput { reason }
}

impl HeadWeights {
    /// All zeros: the first global model of a federation (a softmax head at zero predicts every
    /// label equally, and its gradients are well behaved).
    pub fn zeros(dim: usize, labels: usize) -> Result<Self, LearnError> {
        check_shape(dim, labels)?;
        Ok(Self { dim, labels, weight: vec![0.0; dim * labels], bias: vec![0.0; labels] })
    }

    /// From one flat vector in [`Self::flat`]'s order.
    pub fn from_flat(dim: usize, labels: usize, flat: &[f32]) -> Result<Self, LearnError> {
        check_shape(dim, labels)?;
        if flat.len() != dim * labels + labels {
            return Err(invalid("a weight vector of the wrong length"));
        }
        let (weight, bias) = flat.split_at(dim * labels);
        Ok(Self { dim, labels, weight: weight.to_vec(), bias: bias.to_vec() })
    }

    /// Every parameter, weight matrix then bias: what clipping and noise work on.
    pub fn flat(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.weight.len() + self.bias.len());
        out.extend_from_slice(&self.weight);
        out.extend_from_slice(&self.bias);
        out
    }

    /// `self − base`, parameter by parameter.
    pub fn minus(&self, base: &HeadWeights) -> Result<HeadWeights, LearnError> {
        if (self.dim, self.labels) != (base.dim, base.labels) {
            return Err(invalid("weights of different shapes"));
        }
        let sub = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x - y).collect();
        Ok(HeadWeights {
            dim: self.dim,
            labels: self.labels,
            weight: sub(&self.weight, &base.weight),
            bias: sub(&self.bias, &base.bias),
        })
    }

    /// The safetensors file of these weights (`head.weight`, `head.bias`, f32 little-endian)
    /// with `metadata` in its header.
    pub fn to_safetensors(&self, metadata: &[(&str, String)]) -> Result<Vec<u8>, LearnError> {
        let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let (w, b) = (bytes(&self.weight), bytes(&self.bias));
        let view =
            |shape: Vec<usize>, data| safetensors::tensor::TensorView::new(Dtype::F32, shape, data);
        let tensors = vec![
            ("head.bias", view(vec![self.labels], &b).map_err(|_| invalid("bias shape"))?),
            (
                "head.weight",
                view(vec![self.labels, self.dim], &w).map_err(|_| invalid("weight shape"))?,
            ),
        ];
        let meta: HashMap<String, String> =
            metadata.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        safetensors::serialize(tensors, Some(meta))
            .map_err(|_| LearnError::Model { what: "safetensors encoding" })
    }

    /// Reads a safetensors file made by [`Self::to_safetensors`]: exactly the two f32 tensors
    /// with consistent shapes and finite values. Returns the weights and the header's metadata.
    pub fn from_safetensors(
        bytes: &[u8],
    ) -> Result<(HeadWeights, HashMap<String, String>), LearnError> {
        let bad = || invalid("not a tagging head's safetensors file");
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|_| bad())?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let file = SafeTensors::deserialize(bytes).map_err(|_| bad())?;
        if file.len() != 2 {
            return Err(bad());
        }
        let weight = file.tensor("head.weight").map_err(|_| bad())?;
        let bias = file.tensor("head.bias").map_err(|_| bad())?;
        if weight.dtype() != Dtype::F32 || bias.dtype() != Dtype::F32 {
            return Err(bad());
        }
        let (labels, dim) = match (weight.shape(), bias.shape()) {
            ([l, d], [lb]) if l == lb => (*l, *d),
            _ => return Err(bad()),
        };
        check_shape(dim, labels)?;
        let floats = |data: &[u8]| -> Vec<f32> {
            data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        };
        let weights =
            HeadWeights { dim, labels, weight: floats(weight.data()), bias: floats(bias.data()) };
        if weights.weight.iter().chain(&weights.bias).any(|v| !v.is_finite()) {
            return Err(invalid("a weight that is not a finite number"));
        }
        Ok((weights, metadata))
    }
}

fn check_shape(dim: usize, labels: usize) -> Result<(), LearnError> {
    if dim == 0 || dim > MAX_DIM || !(2..=MAX_LABELS).contains(&labels) {
        return Err(invalid("1 to 4096 inputs and 2 to 256 labels"));
    }
    Ok(())
}

/// The example-weighted mean of `updates` (FedAvg's average), which must have `global`'s
/// shape. Refuses an empty round, a shape that differs, or no examples at all.
fn weighted_mean(
    global: &HeadWeights,
    updates: &[(HeadWeights, u64)],
) -> Result<Vec<f64>, LearnError> {
    let total: u64 = updates.iter().map(|(_, n)| *n).sum();
    if updates.is_empty() || total == 0 {
        return Err(invalid("no examples to average"));
    }
    let mut mean = vec![0.0f64; global.weight.len() + global.bias.len()];
    for (delta, n) in updates {
        if (delta.dim, delta.labels) != (global.dim, global.labels) {
            return Err(invalid("weights of different shapes"));
        }
        let w = *n as f64 / total as f64;
        for (acc, d) in mean.iter_mut().zip(delta.flat()) {
            *acc += w * f64::from(d);
        }
    }
    Ok(mean)
}

/// What closing a round produced.
#[derive(Debug, Clone)]
pub struct RoundAggregate {
    /// The next round's global model.
    pub next: HeadWeights,
    /// The standard deviation of the noise the enclave added to the average (0 when the
    /// clients' own noise was enough).
    pub top_up_std: f64,
}

/// Closes a round (the enclave does this):
///
/// 1. the updates' example-weighted average (FedAvg; plain FedAvg is η = 1, β = 0);
/// 2. plus Gaussian noise from the OS CSPRNG when the clients' noise is not enough for the
///    average to carry σ times the largest single update's weight in it (uneven example counts
///    give one update more say than its noise share covers; see
///    [`super::privacy::top_up_noise_std`]);
/// 3. the step is that average plus β times the previous round's step, which is recovered from
///    the previous round's published model (`previous`, `None` in round 1);
/// 4. the next model is `global` + η × step (η, β: the round's server learning rate and
///    momentum).
///
/// Steps 3 and 4 only post-process the noised average, so they cost no privacy.
pub fn aggregate_round(
    global: &HeadWeights,
    previous: Option<&HeadWeights>,
    updates: &[(HeadWeights, u64)],
    config: &super::RoundConfig,
) -> Result<RoundAggregate, LearnError> {
    config.check()?;
    let mean = weighted_mean(global, updates)?;
    let counts: Vec<u64> = updates.iter().map(|(_, n)| *n).collect();
    let top_up_std = super::privacy::top_up_noise_std(
        &counts,
        config.noise_multiplier,
        config.clip_norm,
        config.noise_shares,
    );
    let mut noised: Vec<f32> = mean.iter().map(|v| *v as f32).collect();
    if top_up_std > 0.0 {
        super::privacy::add_gaussian_noise(&mut noised, top_up_std)?;
    }
    let eta = config.server_learning_rate;
    let beta = config.server_momentum;
    let before = match previous {
        Some(p) if beta > 0.0 => Some(global.minus(p)?.flat()),
        _ => None,
    };
    let flat: Vec<f32> = global
        .flat()
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let last = before.as_ref().map_or(0.0, |b| f64::from(b[i]) / eta);
            let step = f64::from(noised[i]) + beta * last;
            (f64::from(g) + eta * step) as f32
        })
        .collect();
    Ok(RoundAggregate {
        next: HeadWeights::from_flat(global.dim, global.labels, &flat)?,
        top_up_std,
    })
}
