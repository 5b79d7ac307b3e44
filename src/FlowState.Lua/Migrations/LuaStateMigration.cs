using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using FlowState.Lua.Interop;

namespace FlowState.Lua.Migrations;

/// <summary>
/// A migration written in Lua: register it in <see cref="StateStoreOptions.Migrations"/> (or load a folder of them
/// with <see cref="FromDirectory"/>) and <see cref="StateStore.OpenAsync"/> runs it once, as any
/// <see cref="IStateMigration"/>.
/// </summary>
/// <remarks>
/// The script runs in the sandbox of <see cref="LuaScriptHost"/>, with its budgets. <c>State</c> is the global scope;
/// <c>migration.scope(path)</c> is the same API on any scope, named as the store prints it (<c>workflow:run_1:</c>,
/// <c>custom:billing:</c>); <c>migration.scopes()</c> lists the scopes that hold keys (not the runtimes' own
/// bookkeeping); <c>migration.version</c> is this migration's version. It works on an in-memory copy of the state: when
/// the script fails, nothing it wrote is stored and the store stays at the previous version.
/// </remarks>
public sealed partial class LuaStateMigration : IStateMigration
{
    private readonly byte[] _source;
    private readonly LuaScriptOptions _options;

    /// <summary>Creates a migration to <paramref name="version"/> that runs <paramref name="source"/>.</summary>
    /// <param name="version">The version the store is at once this migration ran (1 or more).</param>
    /// <param name="source">The Lua source.</param>
    /// <param name="chunkName">The script's name in messages (default <c>migration {version}</c>).</param>
    /// <param name="options">Its budgets (default <see cref="LuaScriptOptions"/>'s, but 60 s of wall time).</param>
    /// <exception cref="ArgumentOutOfRangeException">The version is below 1, or a budget is not positive.</exception>
    /// <exception cref="ScriptException">The source does not compile.</exception>
    public LuaStateMigration(int version, string source, string? chunkName = null, LuaScriptOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LuaScriptOptions { Timeout = TimeSpan.FromSeconds(60) };
        options.Validate();
        Version = version;
        ChunkName = chunkName ?? string.Create(CultureInfo.InvariantCulture, $"migration {version}");
        _source = Encoding.UTF8.GetBytes(source);
        _options = options;
        LuaScriptRun.Compile(_source, ChunkName);
    }

    /// <inheritdoc/>
    public int Version { get; }

    /// <summary>The script's name in messages: its file's path when loaded from a folder.</summary>
    public string ChunkName { get; }

    /// <summary>
    /// The migrations in <paramref name="directory"/>: every <c>.lua</c> file, named by its version first
    /// (<c>0001-rename-keys.lua</c> is version 1), in version order.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">There is no such folder.</exception>
    /// <exception cref="ArgumentException">A <c>.lua</c> file's name does not start with a version, or two files have one version.</exception>
    /// <exception cref="ScriptException">A script does not compile.</exception>
    public static IReadOnlyList<LuaStateMigration> FromDirectory(string directory, LuaScriptOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"There is no migrations folder at {Path.GetFullPath(directory)}.");
        }

        var migrations = new List<LuaStateMigration>();
        var files = new Dictionary<int, string>();
        foreach (var file in Directory.GetFiles(directory, "*.lua").Order(StringComparer.Ordinal))
        {
            var match = VersionedName().Match(Path.GetFileName(file));
            if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                throw new ArgumentException($"The migration {file} must be named by its version first, e.g. 0001-{Path.GetFileName(file)}.", nameof(directory));
            }

            if (!files.TryAdd(version, file))
            {
                throw new ArgumentException($"The migrations {files[version]} and {file} both have version {version}.", nameof(directory));
            }

            migrations.Add(new LuaStateMigration(version, File.ReadAllText(file), file, options));
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    /// <inheritdoc/>
    public async ValueTask MigrateAsync(StateStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var scopes = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var key in store.For(StateScope.Global).ListAllAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!IsRuntimeBookkeeping(key.Scope))
            {
                scopes.Add(key.Scope.Path);
            }
        }

        var global = store.For(StateScope.Global);
        using var run = new LuaScriptRun(_options, [new LuaStateBinding("State", () => global, () => global)], commit: null, cancellationToken)
        {
            MigrationVersion = Version,
            ScopePaths = [.. scopes],
            BindScope = path =>
            {
                StateScope scope;
                try
                {
                    scope = StateScope.Parse(path);
                }
                catch (FormatException ex)
                {
                    throw new LuaCallException("migration.scope: " + ex.Message, ex);
                }

                var target = store.For(scope);
                return new LuaStateBinding($"migration.scope('{path}')", () => target, () => target);
            },
        };
        run.Execute(_source, ChunkName, null, null, null);
    }

    private static bool IsRuntimeBookkeeping(StateScope scope)
    {
        for (var s = scope; !s.IsGlobal; s = s.Parent!)
        {
            if (s.Kind == ScopeSegmentKind.Runtime)
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^(\d+)[-_. ]")]
    private static partial Regex VersionedName();
}
