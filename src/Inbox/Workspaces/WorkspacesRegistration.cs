using Crm.Inbox.Workspaces.Mongo;
using Crm.Inbox.Workspaces.Sqlite;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace Crm.Inbox.Workspaces;

/// <summary>Where workspaces and agents are kept: the same database as the inbox store.</summary>
public abstract record WorkspaceStorage
{
    public static WorkspaceStorage Sqlite(string connectionString) => new SqliteStorage(connectionString);
    public static WorkspaceStorage Mongo(string connectionString) => new MongoStorage(connectionString);

    internal sealed record SqliteStorage(string ConnectionString) : WorkspaceStorage;
    internal sealed record MongoStorage(string ConnectionString) : WorkspaceStorage;
}

public static class WorkspacesRegistration
{
    public static IServiceCollection AddWorkspaces(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment, WorkspaceStorage storage)
    {
        switch (storage)
        {
            case WorkspaceStorage.SqliteStorage sqlite:
                services.AddSingleton<IWorkspaceStore>(new SqliteWorkspaceStore(sqlite.ConnectionString));
                services.AddSingleton<IAgentStore>(new SqliteAgentStore(sqlite.ConnectionString));
                break;
            case WorkspaceStorage.MongoStorage mongo:
                var url = MongoUrl.Create(mongo.ConnectionString);
                var database = new MongoClient(url).GetDatabase(url.DatabaseName ?? "crm");
                services.AddSingleton<IWorkspaceStore>(new MongoWorkspaceStore(database));
                services.AddSingleton<IAgentStore>(new MongoAgentStore(database));
                break;
        }
        services.AddSingleton<AgentSessionCheck>();
        services.AddSingleton<AgentAccounts>();
        services.AddSingleton<AgentConnections>();
        services.AddSignalR().AddHubOptions<Agents.InboxHub>(options => options.AddFilter<AgentConnections>());
        services.AddHostedService<SessionSweeper>();
        services.Configure<FirstRunOptions>(options =>
        {
            configuration.GetSection(FirstRunOptions.Section).Bind(options);
            options.SeedDemo = environment.IsDevelopment();
        });
        services.AddHostedService<FirstRunSetup>();
        return services;
    }
}
