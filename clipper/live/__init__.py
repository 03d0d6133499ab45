"""Live capture: record a broadcast while it airs (HLS), in fixed-length segments that are stored and
transcribed as they finish. ``hls`` reads playlists, ``recorder`` turns a stream into segments."""
