"""Transaction admission and ordering before consensus."""
