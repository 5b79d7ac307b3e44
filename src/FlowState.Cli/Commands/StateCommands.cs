using System.CommandLine;
using System.Globalization;
using System.Text;

namespace FlowState.Cli.Commands;

/// <summary><c>flowstate state list|get|set|delete|clear|watch</c>: inspect, edit and follow a store's state.</summary>
internal static class StateCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var state = new Command("state", "inspect and edit state");
        state.Subcommands.Add(List(output, error));
        state.Subcommands.Add(Get(output, error));
        state.Subcommands.Add(Set(output, error));
        state.Subcommands.Add(Delete(output, error));
        state.Subcommands.Add(Clear(output, error));
        state.Subcommands.Add(Watch(output, error));
        return state;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var prefix = new Option<string?>("--prefix") { Description = "only keys that start with this" };
        var command = new Command("list", "list the keys of a scope and of its child scopes") { CliOptions.Scope, prefix, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStateAsync(mustExist: true, cancellationToken);
            var entries = new List<StateEntry>();
            await foreach (var key in store.For(ScopeText.Parse(parse.GetValue(CliOptions.Scope))).ListAllAsync(parse.GetValue(prefix), cancellationToken))
            {
                if (await store.For(key.Scope).GetEntryAsync(key.Key, cancellationToken) is { } entry)
                {
                    entries.Add(entry);
                }
            }

            if (console.Json)
            {
                await console.WriteDocumentAsync(new { count = entries.Count, keys = entries.Select(EntryDocument) });
                return 0;
            }

            console.Table(
                ["scope", "key", "version", "bytes", "value"],
                entries.Select(e => new[] { e.Scope.IsGlobal ? "(global)" : e.Scope.Path, e.Key, e.Version.ToString(CultureInfo.InvariantCulture), e.Size.ToString(CultureInfo.InvariantCulture), Preview(e) }));
            await console.Out.WriteLineAsync($"{entries.Count} key(s)");
            return 0;
        });
        return command;
    }

    private static Command Get(TextWriter output, TextWriter error)
    {
        var key = new Argument<string>("key");
        var command = new Command("get", "print a value as indented JSON (with --json: the value with its scope, key, version and expiry)") { key, CliOptions.Scope, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStateAsync(mustExist: true, cancellationToken);
            var scope = ScopeText.Parse(parse.GetValue(CliOptions.Scope));
            var entry = await store.For(scope).GetEntryAsync(parse.GetValue(key)!, cancellationToken)
                ?? throw new CliException($"there is no key '{parse.GetValue(key)}' in scope {scope}");
            if (console.Json)
            {
                await console.WriteDocumentAsync(EntryDocument(entry));
            }
            else
            {
                await console.WriteJsonAsync(entry.ToJsonElement());
            }

            return 0;
        });
        return command;
    }

    // One key in --json output: where it is, its version, size and expiry, and its value.
    private static object EntryDocument(StateEntry entry) =>
        new { scope = entry.Scope.Path, key = entry.Key, version = entry.Version, bytes = entry.Size, expiresAt = entry.ExpiresAt, value = entry.ToJsonElement() };

    private const double MaxTtlSeconds = 100 * 365.25 * 24 * 3600;

    private static Command Set(TextWriter output, TextWriter error)
    {
        var key = new Argument<string>("key");
        var json = new Argument<string>("json") { Description = "the value as JSON (a string needs its quotes: '\"text\"')" };
        var ttl = new Option<double?>("--ttl") { Description = $"time to live in seconds (above 0, at most {MaxTtlSeconds:0} = 100 years)" };
        ttl.Validators.Add(result =>
        {
            if (result.TryGetValue(ttl, out var value) && value is { } seconds && !(seconds > 0 && seconds <= MaxTtlSeconds))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"--ttl must be a number of seconds above 0 and at most {MaxTtlSeconds:0} (100 years); got {seconds}."));
            }
        });
        var command = new Command("set", "store a JSON value") { key, json, CliOptions.Scope, ttl };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStateAsync(mustExist: false, cancellationToken);
            var scope = ScopeText.Parse(parse.GetValue(CliOptions.Scope));
            var options = parse.GetValue(ttl) is { } seconds ? StateWriteOptions.WithTimeToLive(TimeSpan.FromSeconds(seconds)) : null;
            var version = await store.For(scope).SetRawAsync(parse.GetValue(key)!, Encoding.UTF8.GetBytes(parse.GetValue(json)!), options, cancellationToken);
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"set {CliConsole.Visible(scope.Path + parse.GetValue(key))} (version {version})"));
            return 0;
        });
        return command;
    }

    private static Command Delete(TextWriter output, TextWriter error)
    {
        var key = new Argument<string>("key");
        var yes = new Option<bool>("--yes", "-y") { Description = "delete without asking (needed when standard input is not a terminal)" };
        var command = new Command("delete", "delete a key") { key, CliOptions.Scope, yes };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStateAsync(mustExist: true, cancellationToken);
            var scope = ScopeText.Parse(parse.GetValue(CliOptions.Scope));
            var name = parse.GetValue(key)!;
            var entry = await store.For(scope).GetEntryAsync(name, cancellationToken)
                ?? throw new CliException($"there is no key '{name}' in scope {scope}");
            if (!await console.ConfirmRemovalAsync(string.Create(CultureInfo.InvariantCulture, $"the key '{name}' of scope {scope} (version {entry.Version}, {entry.Size} bytes)"), parse.GetValue(yes)))
            {
                return 1;
            }

            // Only the version that was confirmed: a key changed meanwhile is a conflict, not a silent loss.
            if (!await store.For(scope).DeleteAsync(name, StateWriteOptions.IfVersion(entry.Version), cancellationToken))
            {
                throw new CliException($"there is no key '{name}' in scope {scope}");
            }

            await console.Out.WriteLineAsync($"deleted {scope.Path}{parse.GetValue(key)}");
            return 0;
        });
        return command;
    }

    private static Command Clear(TextWriter output, TextWriter error)
    {
        var own = new Option<bool>("--own") { Description = "delete only the scope's own keys; child scopes (runs, steps, named scopes) keep theirs" };
        var subtree = new Option<bool>("--subtree") { Description = "delete the scope's keys and those of all its child scopes" };
        var yes = new Option<bool>("--yes", "-y") { Description = "clear without asking (needed when standard input is not a terminal)" };
        var command = new Command("clear", "delete a scope's own keys (--own) or its whole subtree (--subtree), in one commit") { CliOptions.Scope, own, subtree, yes, CliOptions.Json };
        command.Validators.Add(result =>
        {
            if (result.TryGetValue(own, out var ownKeys) && result.TryGetValue(subtree, out var wholeSubtree) && ownKeys == wholeSubtree)
            {
                result.AddError("say what to clear: --own (the scope's own keys) or --subtree (with all its child scopes).");
            }
        });
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            await using var store = await parse.OpenStateAsync(mustExist: true, cancellationToken);
            var scope = ScopeText.Parse(parse.GetValue(CliOptions.Scope));
            var target = store.For(scope);
            var extent = parse.GetValue(subtree) ? StateClearExtent.Subtree : StateClearExtent.ScopeOnly;
            var count = extent == StateClearExtent.Subtree ? await target.CountAsync(cancellationToken) : await target.ListKeysAsync(cancellationToken: cancellationToken).CountAsync(cancellationToken);
            var what = extent == StateClearExtent.Subtree ? $"{count} key(s) of scope {scope} and its child scopes" : $"the {count} own key(s) of scope {scope} (child scopes keep theirs)";
            if (count > 0 && !await console.ConfirmRemovalAsync(what, parse.GetValue(yes)))
            {
                return 1;
            }

            var deleted = count == 0 ? 0 : await target.ClearAsync(extent, cancellationToken);
            await (console.Json
                ? console.WriteDocumentAsync(new { scope = scope.Path, extent, deleted })
                : console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"deleted {deleted} key(s) of {scope}{(extent == StateClearExtent.Subtree ? " and its child scopes" : string.Empty)}")));
            return 0;
        });
        return command;
    }

    private static Command Watch(TextWriter output, TextWriter error)
    {
        var prefix = new Option<string?>("--prefix") { Description = "only keys that start with this" };
        var count = new Option<int?>("--count") { Description = "stop after this many changes (default: until Ctrl+C)" };
        var command = new Command("watch", "print the changes of a scope and its child scopes as any process commits them (shared stores: redis:, postgres-shared:)") { CliOptions.Scope, prefix, count };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            if (parse.GetValue(count) is <= 0)
            {
                throw new CliUsageException("--count must be at least 1");
            }

            var location = StoreLocation.Parse(parse.GetValue(CliOptions.Store));
            await using var store = await location.OpenSharedAsync(cancellationToken);
            var scope = ScopeText.Parse(parse.GetValue(CliOptions.Scope));
            var changes = store.For(scope).WatchAsync(parse.GetValue(prefix), cancellationToken);
            await console.Out.WriteLineAsync($"watching {(scope.IsGlobal ? "everything" : scope.Path)} on {location} (Ctrl+C stops)");
            var seen = 0;
            try
            {
                await foreach (var change in changes.WithCancellation(cancellationToken))
                {
                    var value = change.Kind == StateChangeKind.Deleted ? string.Empty : " " + Preview(Encoding.UTF8.GetString(change.Value.Span));
                    await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{change.Kind.ToString().ToLowerInvariant()} {change.Scope.Path}{change.Key} @{change.Version}{value}"));
                    if (++seen == parse.GetValue(count))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C: the normal end of a watch.
            }

            return 0;
        });
        return command;
    }

    private static string Preview(StateEntry entry) => Preview(entry.ToString());

    private static string Preview(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
