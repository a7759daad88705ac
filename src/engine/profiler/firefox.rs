//! The guest profile in the Firefox Profiler's processed format, the file that
//! <https://profiler.firefox.com> opens (and that `wasmtime run --profile=guest` writes).

use crate::engine::profiler::{FrameKind, GuestProfile};

impl GuestProfile {
    /// The profile in the Firefox Profiler's processed format (<https://profiler.firefox.com>):
    /// one thread, one frame per call-tree node, the kept raw samples at their times and the
    /// rest of each node's samples at the end, so the call tree there counts every sample.
    pub fn firefox_json(&self, product: &str) -> Result<Vec<u8>, serde_json::Error> {
        use fxprof_processed_profile as fx;
        let interval = fx::SamplingInterval::from_millis(self.interval_ms.max(1));
        let mut profile = fx::Profile::new(product, std::time::SystemTime::now().into(), interval);
        let zero = fx::Timestamp::from_nanos_since_reference(0);
        let process = profile.add_process(product, 1, zero);
        let thread = profile.add_thread(process, 1, zero, true);
        profile.set_thread_name(thread, "guest");
        let wasm = profile.add_category("Wasm", fx::CategoryColor::Blue);
        let host = profile.add_category("Host call", fx::CategoryColor::Orange);
        let elided = profile.add_category("Elided", fx::CategoryColor::Gray);
        let mut stacks: Vec<Option<fx::StackHandle>> = vec![None; self.nodes.len()];
        // Parents come before children in the node list, so one pass interns every stack.
        for (index, node) in self.nodes.iter().enumerate().skip(1) {
            let Some(function) = self.functions.get(node.function as usize) else {
                continue;
            };
            let name = profile.intern_string(&self.node_label(index as u32));
            let category = match function.kind {
                FrameKind::Wasm => wasm,
                FrameKind::Host => host,
                FrameKind::Elided => elided,
            };
            let frame = profile.intern_frame(
                thread,
                fx::FrameInfo {
                    frame: fx::Frame::Label(name),
                    category_pair: category.into(),
                    flags: fx::FrameFlags::empty(),
                },
            );
            let parent = stacks.get(node.parent as usize).copied().flatten();
            stacks[index] = Some(profile.intern_stack(thread, parent, frame));
        }
        let stack_of = |node: u32| stacks.get(node as usize).copied().flatten();
        let mut left: Vec<u64> = self.nodes.iter().map(|n| n.self_samples).collect();
        for sample in self.raw.iter() {
            profile.add_sample(
                thread,
                fx::Timestamp::from_nanos_since_reference(sample.at_ns),
                stack_of(sample.node),
                fx::CpuDelta::ZERO,
                sample.weight as i32,
            );
            if let Some(count) = left.get_mut(sample.node as usize) {
                *count = count.saturating_sub(u64::from(sample.weight));
            }
        }
        let end = fx::Timestamp::from_nanos_since_reference(self.duration_ns);
        for (node, mut count) in left.into_iter().enumerate() {
            while count > 0 {
                let weight = count.min(i32::MAX as u64);
                profile.add_sample(
                    thread,
                    end,
                    stack_of(node as u32),
                    fx::CpuDelta::ZERO,
                    weight as i32,
                );
                count -= weight;
            }
        }
        profile.set_thread_end_time(thread, end);
        profile.set_process_end_time(process, end);
        serde_json::to_vec(&profile)
    }
}
