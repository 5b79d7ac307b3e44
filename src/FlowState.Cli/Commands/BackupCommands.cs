using System.CommandLine;
using System.Globalization;

namespace FlowState.Cli.Commands;

/// <summary>
/// <c>flowstate backup create|list|verify|restore|prune</c>: the backup catalog (full and incremental logical backups of
/// any store), and <c>flowstate backup copy</c>: a backend's own consistent copy of its files.
/// </summary>
internal static class BackupCommands
{
    private static readonly Option<string> Catalog = new("--catalog", "-c")
    {
        Description = "the backup catalog's folder (created by the first backup)",
        Required = true,
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var backup = new Command("backup", "backups: a catalog of full and incremental backups (create, list, verify, restore, prune), or a copy of the store's files");
        backup.Subcommands.Add(CreateBackup(output, error));
        backup.Subcommands.Add(List(output, error));
        backup.Subcommands.Add(Verify(output, error));
        backup.Subcommands.Add(Restore(output, error));
        backup.Subcommands.Add(Prune(output, error));
        backup.Subcommands.Add(Copy(output, error));
        return backup;
    }

    private static Command CreateBackup(TextWriter output, TextWriter error)
    {
        var full = new Option<bool>("--full") { Description = "a full backup (default: incremental when the catalog's newest backup is of this store, else full)" };
        var incremental = new Option<bool>("--incremental") { Description = "an incremental backup, or an error when there is no base to follow" };
        var label = new Option<string?>("--label") { Description = "why it is taken (kept in the catalog)" };
        var command = new Command("create", "back the store up into the catalog") { Catalog, full, incremental, label, CliOptions.Json };
        command.Validators.Add(result =>
        {
            if (result.TryGetValue(full, out var isFull) && isFull && result.TryGetValue(incremental, out var isIncremental) && isIncremental)
            {
                result.AddError("--full and --incremental exclude each other.");
            }
        });
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var kind = parse.GetValue(full) ? StateBackupKind.Full : parse.GetValue(incremental) ? StateBackupKind.Incremental : (StateBackupKind?)null;
            var record = await new StateBackupCatalog(parse.GetValue(Catalog)!).CreateAsync(store, kind, parse.GetValue(label), cancellationToken);
            await (console.Json ? console.WriteDocumentAsync(record) : console.Out.WriteLineAsync(Describe(record)));
            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var command = new Command("list", "the catalog's backups, oldest first") { Catalog, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var backups = await new StateBackupCatalog(parse.GetValue(Catalog)!).ListAsync(cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new { backups });
                return 0;
            }

            if (backups.Count == 0)
            {
                await console.Out.WriteLineAsync("the catalog holds no backup");
                return 0;
            }

            console.Table(
                ["id", "kind", "base", "version", "taken (UTC)", "entries", "deletions", "live", "bytes", "label"],
                backups.Select(record => new[]
                {
                    Number(record.Id), Kind(record.Kind), record.BaseId is { } baseId ? Number(baseId) : "", Number(record.Version),
                    record.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    Number(record.Entries), Number(record.Deletions), Number(record.LiveEntries), Number(record.Bytes), record.Label ?? "",
                }));
            return 0;
        });
        return command;
    }

    private static Command Verify(TextWriter output, TextWriter error)
    {
        var command = new Command("verify", "read every backup whole and check it and its chain against the catalog's checksums (exit 1 when one is not intact)") { Catalog, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var checks = await new StateBackupCatalog(parse.GetValue(Catalog)!).VerifyAsync(cancellationToken);
            if (console.Json)
            {
                await console.WriteDocumentAsync(new { intact = checks.All(check => check.Intact), backups = checks });
            }
            else
            {
                foreach (var check in checks)
                {
                    await console.Out.WriteLineAsync(check.Intact ? $"backup {Number(check.Id)}: intact" : $"backup {Number(check.Id)}: NOT INTACT: {check.Problem}");
                }

                var damaged = checks.Count(check => !check.Intact);
                await console.Out.WriteLineAsync(damaged == 0 ? $"{checks.Count} backup(s) intact" : $"{damaged} of {checks.Count} backup(s) not intact");
            }

            return checks.All(check => check.Intact) ? 0 : 1;
        });
        return command;
    }

    private static Command Restore(TextWriter output, TextWriter error)
    {
        var id = new Option<long?>("--backup") { Description = "the backup to restore (default: the newest)" };
        var version = new Option<long?>("--to-version") { Description = "restore the state at this store version (the newest backup at or below it)" };
        var time = new Option<DateTimeOffset?>("--to-time") { Description = "restore the state at this time, e.g. 2026-12-06T10:00:00Z (the newest backup taken by then)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would change, change nothing" };
        var noSafety = new Option<bool>("--no-safety-backup") { Description = "do not back up the store's current state first" };
        var show = new Option<int>("--show") { Description = "list at most this many changed keys (default 20)", DefaultValueFactory = _ => 20 };
        var yes = new Option<bool>("--yes", "-y") { Description = "restore without asking (needed when standard input is not a terminal)" };
        var command = new Command("restore", "bring the store (--store) back to a backup's state: backs up the current state first, then writes the difference in one atomic batch")
        {
            Catalog, id, version, time, dryRun, noSafety, show, yes, CliOptions.Json,
        };
        command.Validators.Add(result =>
        {
            // Counted by presence, not value: a value that does not convert is its own error.
            if ((result.GetResult(id) is null ? 0 : 1) + (result.GetResult(version) is null ? 0 : 1) + (result.GetResult(time) is null ? 0 : 1) > 1)
            {
                result.AddError("Name one point: --backup, --to-version or --to-time.");
            }
        });
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var point = parse.GetValue(id) is { } backupId ? StateRestorePoint.Backup(backupId)
                : parse.GetValue(version) is { } storeVersion ? StateRestorePoint.AtVersion(storeVersion)
                : parse.GetValue(time) is { } at ? StateRestorePoint.AtTime(at)
                : StateRestorePoint.Latest;
            var catalog = new StateBackupCatalog(parse.GetValue(Catalog)!);
            await using var store = await parse.OpenStoreAsync(mustExist: false, cancellationToken);
            if (parse.GetValue(dryRun) || !parse.GetValue(yes))
            {
                // Planned first only to show it or ask about it: with --yes the restore plans once, itself.
                var plan = await catalog.PlanRestoreAsync(store, point, cancellationToken);
                if (parse.GetValue(dryRun))
                {
                    await WritePlanAsync(console, plan, null, parse.GetValue(show), dryRun: true);
                    return 0;
                }

                if (plan.Changes.Count > 0 && !await console.ConfirmRemovalAsync(
                    string.Create(CultureInfo.InvariantCulture, $"the current state of {plan.Changes.Count} key(s) ({plan.Added} added back, {plan.Changed} changed, {plan.Removed} removed) by restoring backup {plan.Backup.Id}"),
                    yes: false))
                {
                    return 1;
                }
            }

            var result = await catalog.RestoreAsync(store, point, !parse.GetValue(noSafety), cancellationToken);
            await WritePlanAsync(console, result.Plan, result.SafetyBackup, parse.GetValue(show), dryRun: false);
            return 0;
        });
        return command;
    }

    private static Command Prune(TextWriter output, TextWriter error)
    {
        var keepLast = new Option<int?>("--keep-last") { Description = "keep the newest N backups (and every backup their chains need)" };
        var keepDays = new Option<double?>("--keep-days") { Description = "keep the backups taken within this many days" };
        var dryRun = new Option<bool>("--dry-run") { Description = "say what would be removed, remove nothing" };
        var yes = new Option<bool>("--yes", "-y") { Description = "remove without asking (needed when standard input is not a terminal)" };
        var command = new Command("prune", "remove the backups the retention does not keep; an incremental chain is never broken, the newest backup always kept")
        {
            Catalog, keepLast, keepDays, dryRun, yes, CliOptions.Json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(keepLast) is null && result.GetResult(keepDays) is null)
            {
                result.AddError("Say what to keep: --keep-last N, --keep-days D, or both.");
            }
        });
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            var catalog = new StateBackupCatalog(parse.GetValue(Catalog)!);
            var retention = new StateBackupRetention
            {
                KeepLast = parse.GetValue(keepLast),
                KeepFor = parse.GetValue(keepDays) is { } days ? TimeSpan.FromDays(days) : null,
            };
            var selected = await catalog.PruneAsync(retention, dryRun: true, cancellationToken);
            if (selected.Removed.Count == 0 || parse.GetValue(dryRun))
            {
                await WritePruneAsync(console, selected, dryRun: true);
                return 0;
            }

            if (!await console.ConfirmRemovalAsync($"{selected.Removed.Count} backup(s): {string.Join(", ", selected.Removed.Select(record => Number(record.Id)))}", parse.GetValue(yes)))
            {
                return 1;
            }

            await WritePruneAsync(console, await catalog.PruneAsync(retention, dryRun: false, cancellationToken), dryRun: false);
            return 0;
        });
        return command;
    }

    private static Command Copy(TextWriter output, TextWriter error)
    {
        var destination = new Argument<string>("destination") { Description = "a new file (SQLite) or directory (RocksDB)" };
        var command = new Command("copy", "take a consistent copy of the store's own files (restore it with 'flowstate restore')") { destination };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStoreAsync(mustExist: true, cancellationToken);
            var path = Path.GetFullPath(parse.GetValue(destination)!);
            await console.WithProgressAsync($"backing up to {path}", total: null, async _ =>
            {
                await store.BackupAsync(path, cancellationToken);
                return true;
            });
            await console.Out.WriteLineAsync($"backed up to {path}");
            return 0;
        });
        return command;
    }

    private static async Task WritePlanAsync(CliConsole console, StateRestorePlan plan, StateBackupRecord? safety, int show, bool dryRun)
    {
        if (console.Json)
        {
            await console.WriteDocumentAsync(new
            {
                dryRun,
                backup = plan.Backup,
                added = plan.Added,
                changed = plan.Changed,
                removed = plan.Removed,
                unchanged = plan.Unchanged,
                changes = plan.Changes.Select(change => new { scope = change.Scope.Path, key = change.Key, kind = change.Kind.ToString().ToLowerInvariant() }),
                safetyBackup = safety,
            });
            return;
        }

        if (safety is not null)
        {
            await console.Out.WriteLineAsync($"the state before: {Describe(safety)}");
        }

        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{(dryRun ? "would restore" : "restored")} backup {plan.Backup.Id} (version {plan.Backup.Version}, taken {plan.Backup.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC): {plan.Added} added, {plan.Changed} changed, {plan.Removed} removed, {plan.Unchanged} unchanged"));
        foreach (var change in plan.Changes.Take(show))
        {
            await console.Out.WriteLineAsync($"  {change.Kind.ToString().ToLowerInvariant(),-7} {change.Scope} {change.Key}");
        }

        if (plan.Changes.Count > show)
        {
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  … and {plan.Changes.Count - show} more (--show N, or --json for all)"));
        }
    }

    private static async Task WritePruneAsync(CliConsole console, StateBackupPruneResult result, bool dryRun)
    {
        if (console.Json)
        {
            await console.WriteDocumentAsync(new { dryRun, removed = result.Removed.Select(record => record.Id), kept = result.Kept.Select(record => record.Id) });
            return;
        }

        await console.Out.WriteLineAsync(result.Removed.Count == 0
            ? $"nothing to remove; {result.Kept.Count} backup(s) kept"
            : $"{(dryRun ? "would remove" : "removed")} backup(s) {string.Join(", ", result.Removed.Select(record => Number(record.Id)))}; kept {string.Join(", ", result.Kept.Select(record => Number(record.Id)))}");
    }

    private static string Describe(StateBackupRecord record) => string.Create(CultureInfo.InvariantCulture,
        $"backup {record.Id}, {Kind(record.Kind)}{(record.BaseId is { } baseId ? $" on {baseId}" : "")}, version {record.Version}: {record.Entries} entries written, {record.Deletions} deletions, {record.LiveEntries} live entries, {record.Bytes} bytes");

    private static string Kind(StateBackupKind kind) => kind == StateBackupKind.Full ? "full" : "incremental";

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
