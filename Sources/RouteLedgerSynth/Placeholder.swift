public enum SynthPlaceholder {}
