//! What a component's handler asks the world to do. Handlers push here; only the
//! `Simulation` applies effects, in the order they were pushed.

use crate::errors::KafkaError;
use crate::net::{Node, Payload};
use crate::trace::TraceEvent;

#[derive(Clone, Debug, Default)]
pub struct Effects {
    /// Messages to put on the network: (from, to, payload).
    pub messages: Vec<(Node, Node, Payload)>,
    pub events: Vec<TraceEvent>,
    /// Records whose `send()` future completed: (producer, send index).
    pub completed: Vec<(u16, u32)>,
    /// `send()` calls that came back after blocking for memory: (producer, send index).
    pub returned: Vec<(u16, u32)>,
    /// Connections a producer gave up on after `request.timeout.ms`: (producer, broker).
    pub timed_out: Vec<(u16, u32)>,
    /// Transactional API calls that returned: (producer, action index, what they threw).
    pub txn_returned: Vec<(u16, u32, Option<KafkaError>)>,
}
