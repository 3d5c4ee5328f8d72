using Crm.Automation;
using Crm.Connectors;
using Crm.Connectors.Apis;
using Crm.Connectors.Connections;
using Crm.Connectors.Spool;
using Crm.Gateway.Agents;
using Crm.Gateway.Apis;
using Crm.Inbox;
using Crm.Inbox.Workspaces;
using MassTransit;
using StackExchange.Redis;

namespace Crm.Gateway.Hosting;

public static class CrmHosting
{
    public static WebApplicationBuilder AddCrm(this WebApplicationBuilder builder)
    {
        var topology = CrmTopology.From(builder.Configuration);
        var services = builder.Services;
        services.AddSingleton(topology);
        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        services.AddApiDocuments();
        // Malformed requests are the caller's mistake: a 400, in Development too (where the default throws).
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: [CrmHealth.Ready]);
        builder.AddAgentAuthentication(topology);
        services.AddHostedService<BusShutdown>();

        // The store is registered before the bus so its tables exist before the first message is consumed.
        if (topology.RunsAgents || topology.RunsInbox)
        {
            if (topology.Store == StoreKind.Sqlite) services.AddSqliteInboxStore(SqliteConnectionString(builder));
            else services.AddMongoInboxStore(Required(builder.Configuration, "Mongo"));
            services.AddInbox();
            services.AddWorkspaces(builder.Configuration, builder.Environment, topology.Store == StoreKind.Sqlite ? WorkspaceStorage.Sqlite(SqliteConnectionString(builder)) : WorkspaceStorage.Mongo(Required(builder.Configuration, "Mongo")));
            // The channel connections API (agents role) routes connections to the inbox's teams.
            services.AddSingleton<IRoutingTeams, RoutingTeams>();
            services.AddSingleton<Crm.Inbox.Replies.IConnectionTemplates, ConnectionTemplates>();
        }

        // Channel connections: the admin API (agents role) and the webhooks and senders (connectors role).
        if (topology.RunsAgents || topology.RunsConnectors)
        {
            services.AddChannelConnectors(builder.Configuration);
            if (topology.Store == StoreKind.Sqlite) services.AddSqliteChannelConnections(SqliteConnectionString(builder));
            else services.AddMongoChannelConnections(Required(builder.Configuration, "Mongo"));
        }

        if (topology.RunsConnectors)
        {
            // Webhooks are acknowledged from a spool on the connectors' own disk, whatever the broker's state.
            services.AddInboundSpool(builder.Configuration, Path.Combine(DataDirectory(builder), "spool.db"),
                forgetOnlyWhenConsumed: topology.Transport == BusTransport.InMemory);
            // The send ledger lives in the store, so "already sent" survives restarts of any server.
            if (topology.Store == StoreKind.Sqlite) services.AddSqliteOutboundLedger(SqliteConnectionString(builder));
            else services.AddMongoOutboundLedger(Required(builder.Configuration, "Mongo"));
        }

        if (topology.UseRedis)
        {
            var redisConfiguration = Required(builder.Configuration, "Redis");
            // Any process may push to agents connected to any other.
            services.AddSignalR().AddStackExchangeRedis(redisConfiguration, options => options.Configuration.ChannelPrefix = RedisChannel.Literal("crm"));
            // Shared state of the connectors (WeChat's access tokens). Not waiting for Redis at start: a send retries later.
            services.AddSingleton<IConnectionMultiplexer>(_ =>
            {
                var options = ConfigurationOptions.Parse(redisConfiguration);
                options.AbortOnConnectFail = false;
                return ConnectionMultiplexer.Connect(options);
            });
        }

        services.AddAutomation();
        // The host does not wait for the broker: webhooks are taken into the spool while it is unreachable,
        // and the spool's forwarder waits for the bus to be healthy before it publishes.
        services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = false);
        services.AddMassTransit(bus =>
        {
            // Crm phones nobody: no usage reports to MassTransit's servers.
            bus.ConfigureUsageTelemetryOptions(options => options.Enabled = false);
            bus.SetKebabCaseEndpointNameFormatter();
            if (topology.RunsInbox) bus.AddInboxConsumers();
            if (topology.RunsConnectors) bus.AddConnectorConsumers();

            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                if (context.GetService<StoreInitialization>() is { } storeInitialization)
                    endpoint.UseFilter(new WaitForStoreFilter(storeInitialization));
                endpoint.UseMessageRetry(retry => retry.Intervals(100, 500, 2_000, 10_000));
                // In memory an error queue would only grow; everything that reaches a consumer there is still
                // kept upstream (the spool, the reply outbox) and handed over again, so a fault is dropped here.
                if (topology.Transport == BusTransport.InMemory) endpoint.DiscardFaultedMessages();
            });

            if (topology.Transport == BusTransport.InMemory)
            {
                bus.UsingInMemory((context, transport) =>
                {
                    // Nothing leaves the process, so no envelope: plain JSON with headers beside it halves the
                    // serializing every message costs on the way through.
                    transport.UseRawJsonSerializer(RawSerializerOptions.AddTransportHeaders | RawSerializerOptions.CopyHeaders, isDefault: true);
                    if (topology.RunsConnectors) transport.ConnectReceiveObserver(context.GetRequiredService<SpoolConsumeAcknowledger>());
                    transport.ConfigureEndpoints(context);
                });
            }
            else
            {
                var rabbitUri = new Uri(Required(builder.Configuration, "RabbitMq"));
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(rabbitUri, host => host.PublisherConfirmation = true);
                    BusTopology.DeclareInboxQueues(transport);
                    BusTopology.BoundErrorQueues(transport);
                    transport.ConfigureEndpoints(context);
                });
            }
        });

        return builder;
    }

    public static WebApplication MapCrm(this WebApplication app)
    {
        var topology = app.Services.GetRequiredService<CrmTopology>();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapCrmHealth();
        app.MapApiDocuments();
        app.MapAuthApi();
        if (topology.RunsAgents)
        {
            // The agents' web inbox (wwwroot): static files that call the API below.
            app.UseDefaultFiles();
            app.UseStaticFiles();
            app.MapInbox();
            app.MapChannelConnectionsApi(user => new ConnectionsCaller(user.WorkspaceId(), AgentRoles.CanManage(user.RoleOf())));
            app.MapChannelMedia(user => user.WorkspaceId());
        }
        if (topology.RunsConnectors) app.MapConnectors();
        return app;
    }

    private static string Required(IConfiguration configuration, string name)
        => configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{name} is required for this Crm mode.");

    private static string SqliteConnectionString(WebApplicationBuilder builder)
        => builder.Configuration.GetConnectionString("Sqlite") is { Length: > 0 } configured
            ? configured
            : $"Data Source={Path.Combine(DataDirectory(builder), "crm.db")}";

    /// <summary>Crm keeps its files in ./data next to where it runs unless told otherwise.</summary>
    private static string DataDirectory(WebApplicationBuilder builder)
    {
        var directory = Path.Combine(builder.Environment.ContentRootPath, "data");
        Directory.CreateDirectory(directory);
        return directory;
    }
}
