using FlowState.Streaming;

namespace FlowState.Postgres;

/// <summary>Adds PostgreSQL's kinds of pipeline components to a <see cref="StreamComponentCatalog"/>.</summary>
public static class PostgresStreamComponentCatalogExtensions
{
    /// <summary>
    /// Sinks of <c>type: postgres</c>: the exactly-once <see cref="PostgresSink"/>, with <c>connection_string</c> and
    /// <c>table</c> (both required; the table a plain identifier, checked when the settings are read).
    /// </summary>
    public static StreamComponentCatalog AddPostgresSink(this StreamComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.AddSink("postgres", ["connection_string", "table"], (settings, name) =>
        {
            var connectionString = settings.Text("connection_string", required: true)!;
            var table = settings.Text("table", required: true)!;
            try
            {
                // Checks the table name and connection string now, where the error can name the line.
                new PostgresSink(name, connectionString, table).DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (ArgumentException ex)
            {
                throw settings.Error(ex.Message);
            }

            return () => new PostgresSink(name, connectionString, table);
        });
    }
}
