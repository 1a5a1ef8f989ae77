//! The replicas a broker hosts, by partition. Which ones is fixed when the broker is made
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
    /// `at[topic][partition]`: the replica's place in `map`, `u32::MAX` if not hosted.
    at: Vec<Vec<u32>>,
}

impl Hosted {
    pub fn new(map: VecMap<TopicPartition, Partition>) -> Self {
        let mut at: Vec<Vec<u32>> = Vec::new();
        for (i, tp) in map.keys().enumerate() {
            let (t, p) = (tp.topic as usize, tp.partition as usize);
            if at.len() <= t {
                at.resize(t + 1, Vec::new());
            }
            if at[t].len() <= p {
                at[t].resize(p + 1, u32::MAX);
            }
            at[t][p] = i as u32;
        }
        Hosted { map, at }
    }

    fn place(&self, tp: &TopicPartition) -> Option<usize> {
        let i = *self.at.get(tp.topic as usize)?.get(tp.partition as usize)?;
        (i != u32::MAX).then_some(i as usize)
    }

    pub fn get(&self, tp: &TopicPartition) -> Option<&Partition> {
        self.map.values().nth(self.place(tp)?)
    }

    pub fn get_mut(&mut self, tp: &TopicPartition) -> Option<&mut Partition> {
        let i = self.place(tp)?;
        self.map.values_mut().nth(i)
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
