namespace FlowState;

/// <summary>The outcome of <see cref="ISharedStateBackend.CommitAsync"/>: committed with a version, or refused by one change's version check.</summary>
public sealed record SharedCommitResult
{
    private SharedCommitResult(long version, IReadOnlyList<long> previousVersions, int conflictIndex, long actualVersion)
    {
        Version = version;
        PreviousVersions = previousVersions;
        ConflictIndex = conflictIndex;
        ActualVersion = actualVersion;
    }

    /// <summary>True when every change was applied; false when none was.</summary>
    public bool Committed => ConflictIndex < 0;

    /// <summary>The version every written entry now has (committed only).</summary>
    public long Version { get; }

    /// <summary>Per change, the live version the entry had before the commit (0: absent); committed only.</summary>
    public IReadOnlyList<long> PreviousVersions { get; }

    /// <summary>The index of the change whose expected version did not match, or -1.</summary>
    public int ConflictIndex { get; }

    /// <summary>The live version that change found (0: absent); refused only.</summary>
    public long ActualVersion { get; }

    /// <summary>A commit that went ahead.</summary>
    public static SharedCommitResult Success(long version, IReadOnlyList<long> previousVersions)
    {
        ArgumentNullException.ThrowIfNull(previousVersions);
        return new(version, previousVersions, -1, 0);
    }

    /// <summary>A commit refused because change <paramref name="conflictIndex"/> found <paramref name="actualVersion"/>.</summary>
    public static SharedCommitResult Conflict(int conflictIndex, long actualVersion)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(conflictIndex);
        return new(0, [], conflictIndex, actualVersion);
    }
}
