//! Encoders behind two small traits, so a shell can plug in the platform's hardware encoders
//! (VideoToolbox/AudioToolbox on iOS, MediaCodec on Android) and the core keeps the portable
//! software path: H.264 Constrained Baseline from openh264 (BSD, built from its vendored source)
//! and Opus from libopus (BSD, vendored and linked statically).

use super::yuv::I420;
use super::VideoError;
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Profile, RateControlMode,
    UsageType, VuiConfig,
};
use openh264::formats::YUVSlices;
use openh264::OpenH264API;

/// Audio is always 48 kHz mono when it reaches an encoder.
pub const AUDIO_RATE: u32 = 48_000;

/// One encoded picture.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    /// Which input frame this is (0-based); frames come out in the order they went in.
    pub index: u64,
    /// H.264 Annex B (start codes), with SPS and PPS in the first keyframe.
    pub data: Vec<u8>,
    pub keyframe: bool,
}

impl std::fmt::Debug for EncodedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedFrame")
            .field("index", &self.index)
            .field("bytes", &self.data.len())
            .field("keyframe", &self.keyframe)
            .finish()
    }
}

/// What a video encoder is asked to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate: u32,
    /// A keyframe at least this often (frames), for seeking.
    pub keyframe_interval: u32,
}

/// An H.264 encoder. Frames go in in order and come out in the same order (no B-frames: the
/// shells' encoders must have frame reordering off), possibly some frames later; `finish`
/// returns what is still inside. The colours are BT.601 limited range (see [`I420`]): a
/// hardware encoder must signal the same in its VUI.
pub trait VideoEncoder: Send {
    fn start(&mut self, settings: &VideoSettings) -> Result<(), VideoError>;
    fn encode(&mut self, frame: &I420, index: u64) -> Result<Vec<EncodedFrame>, VideoError>;
    fn finish(&mut self) -> Result<Vec<EncodedFrame>, VideoError>;
}

/// How the audio is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    /// Raw Opus packets.
    Opus,
    /// AAC-LC in ADTS frames (the platforms' hardware encoders).
    AacAdts,
}

/// An audio encoder taking 48 kHz mono 16-bit PCM, `frame_samples()` at a time.
pub trait AudioEncoder: Send {
    fn format(&self) -> AudioFormat;
    /// Samples per packet (960 for 20 ms Opus, 1024 for AAC).
    fn frame_samples(&self) -> u32;
    /// Samples of delay a decoder adds before the first input sample (the encoder's lookahead or
    /// priming). For Opus it must be 312: the MP4's `dOps` pre-skip, which players drop.
    fn delay_samples(&self) -> u32;
    /// Encodes exactly `frame_samples()` samples; returns the packets ready (each one frame).
    fn encode(&mut self, pcm: &[i16]) -> Result<Vec<Vec<u8>>, VideoError>;
    fn finish(&mut self) -> Result<Vec<Vec<u8>>, VideoError>;
}

fn encode_error(stage: &'static str) -> impl Fn(String) -> VideoError {
    move |detail| VideoError::Encode { stage, detail }
}

/// The software H.264 encoder (openh264, Constrained Baseline, no frame skipping).
pub struct OpenH264Encoder {
    encoder: Option<Encoder>,
}

impl std::fmt::Debug for OpenH264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenH264Encoder").field("started", &self.encoder.is_some()).finish()
    }
}

impl OpenH264Encoder {
    pub fn new() -> Self {
        Self { encoder: None }
    }
}

impl Default for OpenH264Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl VideoEncoder for OpenH264Encoder {
    fn start(&mut self, s: &VideoSettings) -> Result<(), VideoError> {
        let config = EncoderConfig::new()
            .usage_type(UsageType::CameraVideoRealTime)
            .profile(Profile::Baseline)
            .bitrate(BitRate::from_bps(s.bitrate))
            .max_frame_rate(FrameRate::from_hz(s.fps as f32))
            .rate_control_mode(RateControlMode::Bitrate)
            // A skipped frame has no data; the MP4 must have every frame.
            .skip_frames(false)
            .intra_frame_period(IntraFramePeriod::from_num_frames(s.keyframe_interval))
            .vui(VuiConfig::bt601());
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| VideoError::Encode { stage: "start H.264", detail: e.to_string() })?;
        self.encoder = Some(encoder);
        Ok(())
    }

    fn encode(&mut self, frame: &I420, index: u64) -> Result<Vec<EncodedFrame>, VideoError> {
        let encoder = self.encoder.as_mut().ok_or(VideoError::Encode {
            stage: "encode H.264",
            detail: "the encoder was not started".into(),
        })?;
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let source = YUVSlices::new(frame.planes(), (w, h), (w, w / 2, w / 2));
        let stream = encoder
            .encode(&source)
            .map_err(|e| e.to_string())
            .map_err(encode_error("encode H.264"))?;
        let keyframe = matches!(
            stream.frame_type(),
            openh264::encoder::FrameType::IDR | openh264::encoder::FrameType::I
        );
        let data = stream.to_vec();
        if data.is_empty() {
            return Err(VideoError::Encode {
                stage: "encode H.264",
                detail: "the encoder skipped a frame".into(),
            });
        }
        Ok(vec![EncodedFrame { index, data, keyframe }])
    }

    fn finish(&mut self) -> Result<Vec<EncodedFrame>, VideoError> {
        Ok(Vec::new())
    }
}

/// The software Opus encoder (libopus, 48 kHz mono, 20 ms packets, voice-tuned, 64 kb/s).
pub struct OpusEncoder {
    encoder: audiopus::coder::Encoder,
    delay: u32,
    out: Vec<u8>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").field("delay", &self.delay).finish()
    }
}

impl OpusEncoder {
    pub const FRAME: u32 = 960;
    const BITRATE: i32 = 64_000;

    pub fn new() -> Result<Self, VideoError> {
        use audiopus::{Application, Bitrate, Channels, SampleRate, Signal};
        let fail =
            |e: audiopus::Error| VideoError::Encode { stage: "start Opus", detail: e.to_string() };
        // AUDIO, not RESTRICTED_LOWDELAY: its lookahead is the 312 samples MP4 players skip.
        let mut encoder =
            audiopus::coder::Encoder::new(SampleRate::Hz48000, Channels::Mono, Application::Audio)
                .map_err(fail)?;
        encoder.set_bitrate(Bitrate::BitsPerSecond(Self::BITRATE)).map_err(fail)?;
        encoder.set_signal(Signal::Voice).map_err(fail)?;
        let delay = encoder.lookahead().map_err(fail)?;
        Ok(Self { encoder, delay, out: vec![0u8; 4000] })
    }
}

impl AudioEncoder for OpusEncoder {
    fn format(&self) -> AudioFormat {
        AudioFormat::Opus
    }

    fn frame_samples(&self) -> u32 {
        Self::FRAME
    }

    fn delay_samples(&self) -> u32 {
        self.delay
    }

    fn encode(&mut self, pcm: &[i16]) -> Result<Vec<Vec<u8>>, VideoError> {
        let n = self
            .encoder
            .encode(pcm, &mut self.out)
            .map_err(|e| VideoError::Encode { stage: "encode Opus", detail: e.to_string() })?;
        Ok(vec![self.out[..n].to_vec()])
    }

    fn finish(&mut self) -> Result<Vec<Vec<u8>>, VideoError> {
        Ok(Vec::new())
    }
}
