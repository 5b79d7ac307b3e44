namespace FlowState;

/// <summary>What <see cref="StateBackupCatalog.VerifyAsync"/> found for one backup.</summary>
/// <param name="Id">The backup.</param>
/// <param name="Intact">True when its file (and a full backup's key list) and every backup of its chain are present and match their checksums.</param>
/// <param name="Problem">What is wrong and what to do, when it is not intact.</param>
public sealed record StateBackupCheck(long Id, bool Intact, string? Problem);
