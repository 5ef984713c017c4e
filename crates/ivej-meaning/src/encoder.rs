//! The BERT encoder of multilingual-e5-small: embeddings, post-norm transformer layers
//! with GELU feed-forward, and mean pooling over every token of a window.

use std::ops::Range;

use crate::format::{self, Dimensions, Tensors};
use crate::parallel;
use crate::quantized::{self, Q4Matrix, QuantizedActivations};
use crate::ModelError;

/// Below this many multiply-adds (about 0.1 ms of work) a product stays on one thread:
/// starting a thread costs some 30 µs, and halving less work saves too little.
const PARALLEL_WORK: usize = 1 << 21;

#[derive(Debug)]
struct Linear {
    weight: Q4Matrix,
    bias: Vec<f32>,
}

#[derive(Debug)]
struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug)]
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    feed_forward_in: Linear,
    feed_forward_out: Linear,
    output_norm: LayerNorm,
}

#[derive(Debug)]
pub(crate) struct Encoder {
    hidden: usize,
    heads: usize,
    feed_forward: usize,
    positions: usize,
    epsilon: f32,
    word: Q4Matrix,
    /// `positions` x `hidden`.
    position: Vec<f32>,
    /// The first token type's row.
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

/// Little-endian f32s, refusing infinities and NaN.
fn floats(bytes: &[u8], name: &str) -> Result<Vec<f32>, ModelError> {
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    match values.iter().find(|v| !v.is_finite()) {
        Some(bad) => Err(ModelError::Malformed(format!(
            "tensor `{name}` holds {bad}"
        ))),
        None => Ok(values),
    }
}

impl Linear {
    fn new(tensor: &format::Linear<'_>, name: &str) -> Result<Self, ModelError> {
        Ok(Linear {
            weight: Q4Matrix::from_blocks(tensor.weight, tensor.rows, tensor.cols, name)?,
            bias: floats(tensor.bias, name)?,
        })
    }

    /// `out = input x weight^T + bias`, the rows of the weight shared out over `threads`.
    fn apply(&self, input: &QuantizedActivations, tokens: usize, out: &mut [f32], threads: usize) {
        self.apply_then(input, tokens, out, threads, |_| {});
    }

    /// [`Self::apply`], then `then` on every output, in the same threads.
    fn apply_then(
        &self,
        input: &QuantizedActivations,
        tokens: usize,
        out: &mut [f32],
        threads: usize,
        then: impl Fn(&mut f32) + Sync,
    ) {
        let rows = self.weight.rows();
        let work = tokens * rows * self.weight.cols();
        if threads <= 1 || work < PARALLEL_WORK {
            quantized::multiply(&self.weight, &self.bias, input, 0..rows, out);
            out.iter_mut().for_each(then);
            return;
        }
        // Rows in equal parts, one per thread.
        let step = rows.div_ceil(threads);
        let parts: Vec<Range<usize>> = (0..rows)
            .step_by(step)
            .map(|start| start..(start + step).min(rows))
            .collect();
        let results = parallel::run(parts.clone(), threads, |part| {
            let mut out = vec![0.0; tokens * part.len()];
            quantized::multiply(&self.weight, &self.bias, input, part, &mut out);
            out.iter_mut().for_each(&then);
            out
        });
        for (part, result) in parts.iter().zip(results) {
            for (line, part_line) in out
                .chunks_exact_mut(rows)
                .zip(result.chunks_exact(part.len()))
            {
                line[part.clone()].copy_from_slice(part_line);
            }
        }
    }
}

impl LayerNorm {
    fn new(tensor: &format::Norm<'_>, name: &str) -> Result<Self, ModelError> {
        Ok(LayerNorm {
            weight: floats(tensor.weight, name)?,
            bias: floats(tensor.bias, name)?,
        })
    }

    /// Normalises each token's line of `x` in place.
    fn apply(&self, x: &mut [f32], epsilon: f32) {
        let width = self.weight.len();
        for line in x.chunks_exact_mut(width) {
            let mean = line.iter().sum::<f32>() / width as f32;
            let variance = line.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
            let inverse = 1.0 / (variance + epsilon).sqrt();
            for ((v, w), b) in line.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inverse * w + b;
            }
        }
    }

    /// `x = norm(x + residual)`.
    fn apply_residual(&self, x: &mut [f32], residual: &[f32], epsilon: f32) {
        for (v, r) in x.iter_mut().zip(residual) {
            *v += r;
        }
        self.apply(x, epsilon);
    }
}

/// The Gauss error function (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7).
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152,
        1.061_405_4,
    ];
    let z = x.abs();
    let t = 1.0 / (1.0 + P * z);
    let polynomial = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let magnitude = 1.0 - polynomial * (-z * z).exp();
    magnitude.copysign(x)
}

/// GELU with the exact (erf) form, as BERT uses it.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

impl Encoder {
    pub(crate) fn new(dimensions: &Dimensions, tensors: &Tensors<'_>) -> Result<Self, ModelError> {
        let mut layers = Vec::with_capacity(tensors.layers.len());
        for (index, layer) in tensors.layers.iter().enumerate() {
            let name = |part: &str| format!("l{index}.{part}");
            layers.push(Layer {
                query: Linear::new(&layer.query, &name("q"))?,
                key: Linear::new(&layer.key, &name("k"))?,
                value: Linear::new(&layer.value, &name("v"))?,
                attention_out: Linear::new(&layer.attention_out, &name("ao"))?,
                attention_norm: LayerNorm::new(&layer.attention_norm, &name("aln"))?,
                feed_forward_in: Linear::new(&layer.feed_forward_in, &name("fi"))?,
                feed_forward_out: Linear::new(&layer.feed_forward_out, &name("fo"))?,
                output_norm: LayerNorm::new(&layer.output_norm, &name("oln"))?,
            });
        }
        Ok(Encoder {
            hidden: dimensions.hidden,
            heads: dimensions.heads,
            feed_forward: dimensions.feed_forward,
            positions: dimensions.positions,
            epsilon: dimensions.epsilon,
            word: Q4Matrix::from_blocks(
                tensors.word,
                dimensions.vocabulary,
                dimensions.hidden,
                "emb.word",
            )?,
            position: floats(tensors.position, "emb.pos")?,
            token_type: floats(tensors.token_type, "emb.type")?,
            embedding_norm: LayerNorm::new(&tensors.embedding_norm, "emb.ln")?,
            layers,
        })
    }

    pub(crate) fn hidden(&self) -> usize {
        self.hidden
    }

    /// The most tokens one window may hold, `<s>` and `</s>` included.
    pub(crate) fn positions(&self) -> usize {
        self.positions
    }

    /// The mean of the last layer's states over every token of `ids` (a window of at
    /// most [`Self::positions`] ids, each a row of the embedding table), not normalised.
    pub(crate) fn mean_pooled(&self, ids: &[u32], threads: usize) -> Vec<f32> {
        let hidden = self.hidden;
        let tokens = ids.len();
        debug_assert!(tokens > 0 && tokens <= self.positions);

        let mut x = vec![0.0f32; tokens * hidden];
        for ((line, &id), position) in x
            .chunks_exact_mut(hidden)
            .zip(ids)
            .zip(self.position.chunks_exact(hidden))
        {
            self.word.add_row_to(id as usize, line);
            for ((v, p), t) in line.iter_mut().zip(position).zip(&self.token_type) {
                *v += p + t;
            }
        }
        self.embedding_norm.apply(&mut x, self.epsilon);

        let mut input = QuantizedActivations::default();
        let mut query = vec![0.0f32; tokens * hidden];
        let mut key = vec![0.0f32; tokens * hidden];
        let mut value = vec![0.0f32; tokens * hidden];
        let mut context = vec![0.0f32; tokens * hidden];
        let mut projected = vec![0.0f32; tokens * hidden];
        let mut wide = vec![0.0f32; tokens * self.feed_forward];
        for layer in &self.layers {
            input.quantize(&x, hidden);
            layer.query.apply(&input, tokens, &mut query, threads);
            layer.key.apply(&input, tokens, &mut key, threads);
            layer.value.apply(&input, tokens, &mut value, threads);
            self.attend(&query, &key, &value, &mut context, threads);
            input.quantize(&context, hidden);
            layer
                .attention_out
                .apply(&input, tokens, &mut projected, threads);
            layer
                .attention_norm
                .apply_residual(&mut x, &projected, self.epsilon);

            input.quantize(&x, hidden);
            layer
                .feed_forward_in
                .apply_then(&input, tokens, &mut wide, threads, |v| *v = gelu(*v));
            input.quantize(&wide, self.feed_forward);
            layer
                .feed_forward_out
                .apply(&input, tokens, &mut projected, threads);
            layer
                .output_norm
                .apply_residual(&mut x, &projected, self.epsilon);
        }

        let mut pooled = vec![0.0f32; hidden];
        for line in x.chunks_exact(hidden) {
            for (p, v) in pooled.iter_mut().zip(line) {
                *p += v;
            }
        }
        let inverse = 1.0 / tokens as f32;
        for p in &mut pooled {
            *p *= inverse;
        }
        pooled
    }

    /// Scaled dot-product attention of every token to every token of the window, head by
    /// head; the query tokens are shared out over `threads`.
    fn attend(
        &self,
        query: &[f32],
        key: &[f32],
        value: &[f32],
        context: &mut [f32],
        threads: usize,
    ) {
        let hidden = self.hidden;
        let tokens = query.len() / hidden;
        // The keys transposed, `[hidden][tokens]`: each query component then scales a
        // contiguous line of keys, a loop the compiler vectorises.
        let mut keys = vec![0.0f32; tokens * hidden];
        for (token, line) in key.chunks_exact(hidden).enumerate() {
            for (column, &k) in keys.chunks_exact_mut(tokens).zip(line) {
                column[token] = k;
            }
        }
        let keys = &keys;
        let threads = if tokens * tokens * hidden * 2 < PARALLEL_WORK {
            1
        } else {
            threads
        };
        let per_thread = tokens.div_ceil(threads.max(1)).max(1);
        let jobs: Vec<(usize, &mut [f32])> = context
            .chunks_mut(per_thread * hidden)
            .enumerate()
            .map(|(i, chunk)| (i * per_thread, chunk))
            .collect();
        parallel::run(jobs, threads, |(first, out)| {
            self.attend_tokens(query, keys, value, first, out);
        });
    }

    /// Attention for the query tokens from `first` on, one line of `out` each; `keys` as
    /// `[hidden][tokens]`.
    fn attend_tokens(
        &self,
        query: &[f32],
        keys: &[f32],
        value: &[f32],
        first: usize,
        out: &mut [f32],
    ) {
        let hidden = self.hidden;
        let head_size = hidden / self.heads;
        let scale = 1.0 / (head_size as f32).sqrt();
        let tokens = keys.len() / hidden;
        let mut weights = vec![0.0f32; tokens];
        for (query, out) in query[first * hidden..]
            .chunks_exact(hidden)
            .zip(out.chunks_exact_mut(hidden))
        {
            for (head, ((query, out), head_keys)) in query
                .chunks_exact(head_size)
                .zip(out.chunks_exact_mut(head_size))
                .zip(keys.chunks_exact(head_size * tokens))
                .enumerate()
            {
                let offset = head * head_size;
                weights.fill(0.0);
                for (&q, keys) in query.iter().zip(head_keys.chunks_exact(tokens)) {
                    for (weight, &k) in weights.iter_mut().zip(keys) {
                        *weight += q * k;
                    }
                }
                let mut largest = f32::NEG_INFINITY;
                for weight in &mut weights {
                    *weight *= scale;
                    largest = largest.max(*weight);
                }
                let mut total = 0.0;
                for weight in &mut weights {
                    *weight = (*weight - largest).exp();
                    total += *weight;
                }
                let inverse = 1.0 / total;
                out.fill(0.0);
                for (weight, value) in weights.iter().zip(value.chunks_exact(hidden)) {
                    let weight = weight * inverse;
                    for (o, v) in out.iter_mut().zip(&value[offset..offset + head_size]) {
                        *o += weight * v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_is_close() {
        for (x, expected) in [
            (0.0f32, 0.0f32),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-1.0, -0.842_700_8),
            (2.0, 0.995_322_3),
            (-3.5, -0.999_999_3),
            (10.0, 1.0),
        ] {
            assert!((erf(x) - expected).abs() < 3e-7, "erf({x}) = {}", erf(x));
        }
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
    }
}
