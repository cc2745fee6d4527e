//! Drawing a storyboard's frames: each photo decoded once when its scene begins, pre-scaled
//! once to about 1.25x the output (sampling a 12 MP original per frame wastes memory and
//! aliases), then per frame cropped along its Ken Burns move with bilinear sampling, and
//! crossfaded into the next. At most two scenes are held at a time: memory is bounded by two
//! pre-scaled photos and one frame, whatever the video's length.

use super::storyboard::{Rect, Scene, Storyboard, Visual};
use super::text::{Fonts, Placement, TextBlock};
use super::VideoError;
use crate::graph::{MediaId, MemoryGraph};
use image::imageops::FilterType;
use image::{Rgb, RgbImage};
use std::io::Read;

/// Pre-scaling target: the photo's widest crop is drawn from this many times the frame's size.
pub const PRESCALE: f32 = 1.25;
/// Title card background (a warm dark grey).
const CARD: Rgb<u8> = Rgb([38, 34, 32]);

/// A scene's picture, ready to sample.
struct Prepared {
    index: usize,
    /// `None` for a title card.
    pixels: Option<RgbImage>,
    /// A title card's title.
    title: Option<TextBlock>,
}

/// Captions fade in and out over this long.
const CAPTION_FADE_MS: u32 = 150;

/// Draws frames of one storyboard, in time order (random access works, but re-prepares).
pub struct FrameRenderer<'g> {
    graph: &'g MemoryGraph,
    board: Storyboard,
    width: u32,
    height: u32,
    prepared: Vec<Prepared>,
    fonts: Option<Fonts>,
    /// The caption on screen, drawn once: its index in the storyboard and its block.
    caption: Option<(usize, Option<TextBlock>)>,
}

impl std::fmt::Debug for FrameRenderer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameRenderer")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

fn ease(t: f32) -> f32 {
    // Smoothstep: the move starts and ends gently.
    let t = t.clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn lerp_rect(a: Rect, b: Rect, t: f32) -> Rect {
    let l = |x: f32, y: f32| x + (y - x) * t;
    Rect { x: l(a.x, b.x), y: l(a.y, b.y), w: l(a.w, b.w), h: l(a.h, b.h) }
}

impl<'g> FrameRenderer<'g> {
    pub fn new(graph: &'g MemoryGraph, board: Storyboard) -> Self {
        let (width, height) = board.resolution.size();
        Self { graph, board, width, height, prepared: Vec::new(), fonts: None, caption: None }
    }

    /// Draws captions, and titles on title cards, with these fonts (without: pictures only).
    pub fn with_fonts(mut self, fonts: Fonts) -> Self {
        self.fonts = Some(fonts);
        self
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    pub fn storyboard(&self) -> &Storyboard {
        &self.board
    }

    fn decode_photo(&self, id: MediaId, crop_w: f32) -> Result<RgbImage, VideoError> {
        let mut bytes = Vec::new();
        self.graph.open_media(id)?.read_to_end(&mut bytes).map_err(|e| {
            VideoError::Graph(crate::graph::GraphError::Media(crate::media::MediaError::Io {
                op: "read a photo",
                kind: e.kind(),
            }))
        })?;
        let photo = crate::media::decode(&bytes)
            .map_err(|e| VideoError::Graph(crate::graph::GraphError::Media(e)))?;
        drop(bytes);
        let image = photo.image;
        // The widest crop (crop_w of the photo's width) should span PRESCALE frame widths.
        let target_w = (PRESCALE * self.width as f32 / crop_w.max(1e-3)).round() as u32;
        let scale = target_w as f32 / image.width() as f32;
        let target_h = (image.height() as f32 * scale).round().max(1.0) as u32;
        let scaled = if (scale - 1.0).abs() < 0.02 {
            image.to_rgb8()
        } else {
            image.resize_exact(target_w.max(1), target_h, FilterType::CatmullRom).to_rgb8()
        };
        Ok(scaled)
    }

    fn prepare(&mut self, index: usize) -> Result<(), VideoError> {
        if self.prepared.iter().any(|p| p.index == index) {
            return Ok(());
        }
        let pixels = match &self.board.scenes[index].visual {
            Visual::Photo { media_id, motion } => {
                let widest = motion.from.w.max(motion.to.w);
                Some(self.decode_photo(*media_id, widest)?)
            }
            Visual::TitleCard { .. } => None,
        };
        let title = match (&self.board.scenes[index].visual, &self.fonts) {
            (Visual::TitleCard { title }, Some(fonts)) => {
                fonts.block(title, self.width, self.height, Placement::Centre)
            }
            _ => None,
        };
        self.prepared.push(Prepared { index, pixels, title });
        Ok(())
    }

    /// Scenes on screen at `t_ms`: one, or two during a crossfade (earlier first).
    fn active(&self, t_ms: u32) -> Vec<usize> {
        let scenes: &[Scene] = &self.board.scenes;
        let mut on: Vec<usize> = scenes
            .iter()
            .enumerate()
            .filter(|(_, s)| t_ms >= s.start_ms && t_ms < s.start_ms + s.duration_ms)
            .map(|(i, _)| i)
            .collect();
        if on.is_empty() && !scenes.is_empty() {
            on.push(if t_ms < scenes[0].start_ms { 0 } else { scenes.len() - 1 });
        }
        on.truncate(2);
        on
    }

    /// Draws the scene `index` at `t_ms` into `out`, blended over what is there with `alpha`.
    fn draw(&self, index: usize, t_ms: u32, alpha: f32, out: &mut RgbImage) {
        let scene = &self.board.scenes[index];
        let Some(prepared) = self.prepared.iter().find(|p| p.index == index) else { return };
        let progress =
            ease((t_ms.saturating_sub(scene.start_ms)) as f32 / scene.duration_ms.max(1) as f32);
        let blend = |dst: &mut Rgb<u8>, src: [f32; 3]| {
            for c in 0..3 {
                let d = f32::from(dst[c]);
                dst[c] = (d + (src[c] - d) * alpha).round().clamp(0.0, 255.0) as u8;
            }
        };
        match (&scene.visual, &prepared.pixels) {
            (Visual::Photo { motion, .. }, Some(pixels)) => {
                let r = lerp_rect(motion.from, motion.to, progress);
                let (pw, ph) = (pixels.width() as f32, pixels.height() as f32);
                let (x0, y0) = (r.x * pw, r.y * ph);
                let (sx, sy) = (r.w * pw / self.width as f32, r.h * ph / self.height as f32);
                for (fx, fy, px) in out.enumerate_pixels_mut() {
                    // Sample at the pixel's centre.
                    let u = (x0 + (fx as f32 + 0.5) * sx - 0.5).clamp(0.0, pw - 1.0);
                    let v = (y0 + (fy as f32 + 0.5) * sy - 0.5).clamp(0.0, ph - 1.0);
                    blend(px, bilinear(pixels, u, v));
                }
            }
            _ => {
                let card = [f32::from(CARD[0]), f32::from(CARD[1]), f32::from(CARD[2])];
                for px in out.pixels_mut() {
                    blend(px, card);
                }
                if let Some(title) = &prepared.title {
                    title.draw(out, alpha);
                }
            }
        }
    }

    /// The frame at `t_ms` from the start of the video.
    pub fn frame(&mut self, t_ms: u32) -> Result<RgbImage, VideoError> {
        let on = self.active(t_ms);
        // Scenes no longer on screen (and none coming back: time runs forward) are dropped.
        let first = on.first().copied().unwrap_or(0);
        self.prepared.retain(|p| p.index >= first);
        for &i in &on {
            self.prepare(i)?;
        }
        let mut out = RgbImage::from_pixel(self.width, self.height, Rgb([0, 0, 0]));
        if let Some(&base) = on.first() {
            self.draw(base, t_ms, 1.0, &mut out);
        }
        if let [earlier, later] = on[..] {
            // The later scene fades in over the overlap.
            let start = self.board.scenes[later].start_ms;
            let end = self.board.scenes[earlier].start_ms + self.board.scenes[earlier].duration_ms;
            let alpha = (t_ms - start) as f32 / (end - start).max(1) as f32;
            self.draw(later, t_ms, alpha.clamp(0.0, 1.0), &mut out);
        }
        self.draw_caption(t_ms, &mut out);
        Ok(out)
    }

    /// The caption showing at `t_ms`, faded at its ends.
    fn draw_caption(&mut self, t_ms: u32, out: &mut RgbImage) {
        let Some(fonts) = &self.fonts else { return };
        let Some(index) =
            self.board.captions.iter().position(|c| t_ms >= c.start_ms && t_ms < c.end_ms)
        else {
            return;
        };
        if self.caption.as_ref().map(|(i, _)| *i) != Some(index) {
            let text = &self.board.captions[index].text;
            self.caption =
                Some((index, fonts.block(text, self.width, self.height, Placement::Bottom)));
        }
        let caption = &self.board.captions[index];
        let edge = (t_ms - caption.start_ms).min(caption.end_ms - t_ms);
        let opacity = ((edge as f32 + 0.5) / CAPTION_FADE_MS as f32).min(1.0);
        if let Some((_, Some(block))) = &self.caption {
            block.draw(out, opacity);
        }
    }

    /// Bytes held by prepared photos (for tests of the memory bound).
    pub fn held_bytes(&self) -> usize {
        self.prepared.iter().filter_map(|p| p.pixels.as_ref()).map(|p| p.as_raw().len()).sum()
    }
}

fn bilinear(img: &RgbImage, u: f32, v: f32) -> [f32; 3] {
    let (x0, y0) = (u.floor() as u32, v.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(img.width() - 1), (y0 + 1).min(img.height() - 1));
    let (fx, fy) = (u - x0 as f32, v - y0 as f32);
    let p = |x, y| img.get_pixel(x, y).0;
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    let mut out = [0f32; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let top = f32::from(a[k]) * (1.0 - fx) + f32::from(b[k]) * fx;
        let bottom = f32::from(c[k]) * (1.0 - fx) + f32::from(d[k]) * fx;
        *o = top * (1.0 - fy) + bottom * fy;
    }
    out
}
