//! RGB to YUV 4:2:0 for the encoder: ITU-R BT.601 matrix, limited ("TV") range, the one pair
//! the H.264 stream's VUI signals (`colour_primaries`/`transfer`/`matrix` = SMPTE 170M,
//! `video_full_range_flag` = 0). Writing our own conversion keeps the matrix and the signal in
//! one place and rounds instead of truncating (openh264's helper truncates, a -0.5 level bias).

use image::RgbImage;

/// A frame as planar YUV 4:2:0 (I420): the Y plane, then U, then V, each chroma plane half the
/// width and height. Width and height are even.
#[derive(Clone, PartialEq, Eq)]
pub struct I420 {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for I420 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I420").field("width", &self.width).field("height", &self.height).finish()
    }
}

// BT.601 coefficients scaled by 2^16 so that 0..255 RGB maps to 16..235 luma and 16..240
// chroma (219/255 and 224/255 of the full swing). Each chroma row sums to zero, so grey has
// no colour.
const YR: i32 = 16_829;
const YG: i32 = 33_039;
const YB: i32 = 6_416;
const UR: i32 = -9_714;
const UG: i32 = -19_070;
const UB: i32 = 28_784;
const VR: i32 = 28_784;
const VG: i32 = -24_103;
const VB: i32 = -4_681;
const HALF: i32 = 1 << 15;

impl I420 {
    /// A black frame of the given (even) size.
    pub fn new(width: u32, height: u32) -> Self {
        let (w, h) = (width as usize & !1, height as usize & !1);
        let mut data = vec![16u8; w * h * 3 / 2];
        data[w * h..].fill(128);
        Self { width: w as u32, height: h as u32, data }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The three planes: Y, U, V.
    pub fn planes(&self) -> (&[u8], &[u8], &[u8]) {
        let y_len = (self.width * self.height) as usize;
        let (y, uv) = self.data.split_at(y_len);
        let (u, v) = uv.split_at(y_len / 4);
        (y, u, v)
    }

    /// All three planes, one after the other.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// Converts `rgb` (the same size as this frame) into it. Chroma is the average of each 2x2
    /// block (centred siting, as H.264 4:2:0 expects by default).
    pub fn fill_from_rgb(&mut self, rgb: &RgbImage) {
        let (w, h) = (self.width as usize, self.height as usize);
        debug_assert!(rgb.width() as usize >= w && rgb.height() as usize >= h);
        let stride = rgb.width() as usize * 3;
        let src = rgb.as_raw();
        let y_len = w * h;
        let (y_plane, uv) = self.data.split_at_mut(y_len);
        let (u_plane, v_plane) = uv.split_at_mut(y_len / 4);
        let luma = |p: &[u8]| -> u8 {
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            (16 + ((YR * r + YG * g + YB * b + HALF) >> 16)) as u8
        };
        for row in 0..h / 2 {
            let top = &src[2 * row * stride..2 * row * stride + w * 3];
            let bottom = &src[(2 * row + 1) * stride..(2 * row + 1) * stride + w * 3];
            let (y_top, y_bottom) = y_plane[2 * row * w..(2 * row + 2) * w].split_at_mut(w);
            for col in 0..w / 2 {
                let i = col * 6;
                let (a, b) = (&top[i..i + 3], &top[i + 3..i + 6]);
                let (c, d) = (&bottom[i..i + 3], &bottom[i + 3..i + 6]);
                y_top[2 * col] = luma(a);
                y_top[2 * col + 1] = luma(b);
                y_bottom[2 * col] = luma(c);
                y_bottom[2 * col + 1] = luma(d);
                let sum = |k: usize| {
                    i32::from(a[k]) + i32::from(b[k]) + i32::from(c[k]) + i32::from(d[k])
                };
                let (r, g, bl) = (sum(0), sum(1), sum(2));
                // Sums of four: scale the rounding constant and the shift to match.
                let u = 128 + ((UR * r + UG * g + UB * bl + 4 * HALF) >> 18);
                let v = 128 + ((VR * r + VG * g + VB * bl + 4 * HALF) >> 18);
                u_plane[row * (w / 2) + col] = u.clamp(0, 255) as u8;
                v_plane[row * (w / 2) + col] = v.clamp(0, 255) as u8;
            }
        }
    }

    /// The frame converted back to RGB with the inverse matrix (for tests and previews).
    pub fn to_rgb(&self) -> RgbImage {
        let (w, h) = (self.width, self.height);
        let (y, u, v) = self.planes();
        RgbImage::from_fn(w, h, |x, row| {
            let (x, row) = (x as usize, row as usize);
            let luma = f32::from(y[row * w as usize + x]) - 16.0;
            let ci = (row / 2) * (w as usize / 2) + x / 2;
            let cb = f32::from(u[ci]) - 128.0;
            let cr = f32::from(v[ci]) - 128.0;
            let yy = luma * 255.0 / 219.0;
            let k = 255.0 / 224.0;
            let r = yy + 1.402 * k * cr;
            let g = yy - 0.344_136 * k * cb - 0.714_136 * k * cr;
            let b = yy + 1.772 * k * cb;
            image::Rgb([r, g, b].map(|c| c.round().clamp(0.0, 255.0) as u8))
        })
    }
}
