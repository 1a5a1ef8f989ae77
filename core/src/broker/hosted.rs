//! The replicas a broker hosts, by partition. The set is fixed when the broker is made
//! (the controller assigns replicas once), so a lookup is an index rather than a search:
//! every message a broker handles looks its partitions up, and the search was ~5 % of a
//! run. Read as the `VecMap` it is; changed only in place.

use super::partition::Partition;
use crate::metadata::TopicPartition;
use crate::vec_map::VecMap;
use std::ops::{Deref, Index};

#[derive(Clone, Debug, PartialEq)]
pub struct Hosted {
    map: VecMap<TopicPartition, Partition>,
    /// The place in `map` of partition `p` of topic `t` at `t * width + p`; `u32::MAX`
    /// where not hosted.
    at: Vec<u32>,
    width: u32,
}

impl Hosted {
    pub fn new(map: VecMap<TopicPartition, Partition>) -> Self {
        let width = map.keys().map(|tp| tp.partition + 1).max().unwrap_or(0);
        let mut at = Vec::new();
        for (i, tp) in map.keys().enumerate() {
            let slot = tp.topic as usize * width as usize + tp.partition as usize;
            if at.len() <= slot {
                at.resize(slot + 1, u32::MAX);
            }
            at[slot] = i as u32;
        }
        Hosted { map, at, width }
    }

    fn place(&self, tp: &TopicPartition) -> Option<usize> {
        if tp.partition >= self.width {
            return None;
        }
        let i = *self
            .at
            .get(tp.topic as usize * self.width as usize + tp.partition as usize)?;
        (i != u32::MAX).then_some(i as usize)
    }

    pub fn get(&self, tp: &TopicPartition) -> Option<&Partition> {
        self.map.value_at(self.place(tp)?)
    }

    pub fn get_mut(&mut self, tp: &TopicPartition) -> Option<&mut Partition> {
        let i = self.place(tp)?;
        self.map.value_at_mut(i)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Partition> {
        self.map.values_mut()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&TopicPartition, &mut Partition)> {
        self.map.iter_mut()
    }
}

impl Deref for Hosted {
    type Target = VecMap<TopicPartition, Partition>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl Index<&TopicPartition> for Hosted {
    type Output = Partition;

    fn index(&self, tp: &TopicPartition) -> &Partition {
        self.get(tp).expect("hosted here")
    }
}

impl<'a> IntoIterator for &'a Hosted {
    type Item = (&'a TopicPartition, &'a Partition);
    type IntoIter = <&'a VecMap<TopicPartition, Partition> as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        (&self.map).into_iter()
    }
}
