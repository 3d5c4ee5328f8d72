using Crm.Connectors.Connections;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Crm.Connectors.Tests.Connections;

/// <summary>Connections seeded from configuration (Development's demo connection, tests, benchmarks).</summary>
public sealed class ChannelConnectionSeedTests : IDisposable
{
    private static readonly Guid SeedId = Guid.Parse("5eed0000-0000-4000-8000-000000000002");
    private readonly string file = Path.Combine(Path.GetTempPath(), $"crm-seed-{Guid.NewGuid():N}.db");

    private async Task<ServiceProvider> StartAsync(string authToken)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Crm:ChannelConnections:Seed:0:Id"] = SeedId.ToString(),
            ["Crm:ChannelConnections:Seed:0:WorkspaceId"] = Guid.Empty.ToString(),
            ["Crm:ChannelConnections:Seed:0:AccountSid"] = "ACdev00000000000000000000000000000",
            ["Crm:ChannelConnections:Seed:0:AuthToken"] = authToken,
            ["Crm:ChannelConnections:Seed:0:Numbers:0"] = "whatsapp:+14155238886",
            ["Crm:ChannelConnections:Seed:0:ApiBaseUrl"] = "http://localhost:5099",
        }).Build();
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSqliteChannelConnections($"Data Source={file}")
            .BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
        return provider;
    }

    [Fact]
    public async Task A_seeded_connection_is_written_once_and_follows_the_configuration_on_the_next_start()
    {
        await using (var first = await StartAsync("dev-auth-token"))
        {
            var account = await first.GetRequiredService<ChannelConnections>().TwilioAccountAsync(SeedId);
            Assert.Equal(("dev-auth-token", "http://localhost:5099/"), (account?.AuthToken, account?.ApiBaseUrl.ToString()));
            Assert.True(account!.Owns("+14155238886"));
        }
        var created = await new SqliteChannelConnectionStore($"Data Source={file}").FindAsync(SeedId);

        await using var second = await StartAsync("rotated-token");

        var store = new SqliteChannelConnectionStore($"Data Source={file}");
        var again = await store.FindAsync(SeedId);
        Assert.Equal("rotated-token", (await second.GetRequiredService<ChannelConnections>().TwilioAccountAsync(SeedId))?.AuthToken);
        Assert.Equal(created!.CreatedAt, again!.CreatedAt);
        Assert.Single(await store.ListAsync(Guid.Empty));
    }

    [Fact]
    public async Task Secrets_encrypted_by_one_process_are_read_by_another_through_the_key_ring_in_the_store()
    {
        await using (await StartAsync("dev-auth-token")) { }
        var encryptedByFirst = await new SqliteChannelConnectionStore($"Data Source={file}").FindAsync(SeedId);

        await using var second = await StartAsync("dev-auth-token");

        Assert.Equal("dev-auth-token", second.GetRequiredService<ChannelConnections>().TwilioAuthTokenOf(encryptedByFirst!));
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM data_protection_keys";
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(file);
    }
}
