using Crm.Automation;
using Crm.Connectors;
using Crm.Gateway.Agents;
using Crm.Gateway.Apis;
using Crm.Inbox;
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
        // Malformed requests are the caller's mistake: a 400, in Development too (where the default throws).
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
        services.AddHealthChecks();
        builder.AddAgentAuthentication(topology);

        // The store is registered before the bus so its tables exist before the first message is consumed.
        if (topology.RunsAgents || topology.RunsInbox)
        {
            if (topology.Store == StoreKind.Sqlite) services.AddSqliteInboxStore(SqliteConnectionString(builder));
            else services.AddMongoInboxStore(Required(builder.Configuration, "Mongo"));
            services.AddInbox();
        }

        if (topology.RunsConnectors)
        {
            services.AddTwilioConnector(builder.Configuration);
            // The send ledger lives in the store, so "already sent" survives restarts of any server.
            if (topology.Store == StoreKind.Sqlite) services.AddSqliteOutboundLedger(SqliteConnectionString(builder));
            else services.AddMongoOutboundLedger(Required(builder.Configuration, "Mongo"));
        }

        if (topology.UseRedis)
        {
            var redisConfiguration = Required(builder.Configuration, "Redis");
            // Any process may push to agents connected to any other.
            services.AddSignalR().AddStackExchangeRedis(redisConfiguration, options => options.Configuration.ChannelPrefix = RedisChannel.Literal("crm"));
        }

        services.AddAutomation();
        // Take no webhook or reply before the bus can carry it (and before test queues are purged).
        services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            if (topology.RunsInbox) bus.AddInboxConsumers();
            if (topology.RunsConnectors) bus.AddConnectorConsumers();

            bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                endpoint.UseMessageRetry(retry => retry.Intervals(100, 500, 2_000, 10_000));
                if (topology.PurgeQueuesOnStart && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.PurgeOnStartup = true;
            });

            if (topology.Transport == BusTransport.InMemory)
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
            else
            {
                var rabbitUri = new Uri(Required(builder.Configuration, "RabbitMq"));
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(rabbitUri);
                    transport.ConfigureEndpoints(context);
                });
            }
        });

        return builder;
    }

    public static WebApplication MapCrm(this WebApplication app)
    {
        var topology = app.Services.GetRequiredService<CrmTopology>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthChecks("/health");
        app.MapAuthApi();
        if (topology.RunsAgents)
        {
            // The agents' web inbox (wwwroot): static files that call the API below.
            app.UseDefaultFiles();
            app.UseStaticFiles();
            app.MapInbox();
        }
        if (topology.RunsConnectors) app.MapConnectors();
        return app;
    }

    private static string Required(IConfiguration configuration, string name)
        => configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{name} is required for this Crm mode.");

    /// <summary>Embedded mode keeps its data in ./data next to where it runs unless told otherwise.</summary>
    private static string SqliteConnectionString(WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetConnectionString("Sqlite") is { Length: > 0 } configured) return configured;
        var directory = Path.Combine(builder.Environment.ContentRootPath, "data");
        Directory.CreateDirectory(directory);
        return $"Data Source={Path.Combine(directory, "crm.db")}";
    }
}
