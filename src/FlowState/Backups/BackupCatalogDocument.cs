using System.Text.Json.Serialization;

namespace FlowState;

/// <summary>A backup catalog's <c>catalog.json</c>: its format, the next backup's id, and every backup it holds, oldest first.</summary>
internal sealed record BackupCatalogDocument(string Format, int Version, long NextId, List<StateBackupRecord> Backups)
{
    /// <summary>The id the next backup gets; moves on as <see cref="Backups"/> grows within one operation.</summary>
    public long NextId { get; set; } = NextId;

    /// <summary>The <c>format</c> field of a catalog.</summary>
    public const string CatalogFormat = "flowstate-backup-catalog";

    /// <summary>The catalog format version this FlowState writes and reads.</summary>
    public const int CatalogFormatVersion = 1;

    /// <summary>A catalog without backups.</summary>
    public static BackupCatalogDocument Empty() => new(CatalogFormat, CatalogFormatVersion, 1, []);
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BackupCatalogDocument))]
internal sealed partial class BackupCatalogJsonContext : JsonSerializerContext;
