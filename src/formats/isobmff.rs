//! ISO base media file format box reader (to be written).
