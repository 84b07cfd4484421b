public enum ArchivePlaceholder {}
