using System.CommandLine;
using System.Globalization;
using FlowState.Lua.Migrations;

namespace FlowState.Cli.Commands;

/// <summary>
/// <c>flowstate migrate [folder]</c>: applies the Lua migrations of a folder (<c>0001-name.lua</c>, …) that are newer than
/// the store's migration version, each all or nothing; without a folder, prints the version.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var folder = new Argument<string?>("folder") { Description = "a folder of Lua migrations named by version: 0001-rename.lua, 0002-…", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("migrate", "apply Lua migrations to the store (each in one transaction with its version), or show its migration version") { folder, CliOptions.Json };
        command.SetGuardedAction(output, error, async (parse, console, cancellationToken) =>
        {
            int before;
            await using (var store = await parse.OpenStoreAsync(mustExist: false, cancellationToken))
            {
                before = store.MigrationVersion;
            }

            if (parse.GetValue(folder) is not { } directory)
            {
                await (console.Json
                    ? console.WriteDocumentAsync(new { migrationVersion = before, applied = Array.Empty<string>() })
                    : console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"migration version {before}")));
                return 0;
            }

            var migrations = LuaStateMigration.FromDirectory(directory);
            var location = StoreLocation.Parse(parse.GetValue(CliOptions.Store));
            await using (var migrated = await location.OpenAsync(mustExist: true, cancellationToken, options =>
            {
                foreach (var migration in migrations)
                {
                    options.Migrations.Add(migration);
                }
            }))
            {
                var applied = migrations.Where(m => m.Version > before).Select(m => Path.GetFileName(m.ChunkName)).ToList();
                if (console.Json)
                {
                    await console.WriteDocumentAsync(new { migrationVersion = migrated.MigrationVersion, applied });
                    return 0;
                }

                await console.Out.WriteLineAsync(applied.Count == 0
                    ? string.Create(CultureInfo.InvariantCulture, $"migration version {migrated.MigrationVersion}: nothing to apply")
                    : string.Create(CultureInfo.InvariantCulture, $"migration version {before} -> {migrated.MigrationVersion}: applied {string.Join(", ", applied)}"));
            }

            return 0;
        });
        return command;
    }
}
