using Crm.Connectors.Apis;
using Crm.Connectors.Connections;
using Crm.Connectors.Messenger;
using Crm.Connectors.Outbound;
using Crm.Connectors.Spool;
using Crm.Connectors.Twilio;
using Crm.Connectors.WhatsAppCloud;
using Crm.Connectors.WeChat;
using Crm.Contracts;
using MassTransit;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace Crm.Connectors;

public static class ConnectorsRegistration
{
    /// <summary>Every provider's connection type, sender and clients: the admin API and the connectors need them alike.</summary>
    public static IServiceCollection AddChannelConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTwilioConnector(configuration);
        services.AddMessengerConnector(configuration);
        services.AddWhatsAppCloudConnector(configuration);
        services.AddWeChatConnector(configuration);
        return services;
    }

    public static IServiceCollection AddTwilioConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TwilioOptions>().Bind(configuration.GetSection(TwilioOptions.Section));
        services.AddHttpClient<TwilioMessagesClient>((provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<TwilioOptions>>().Value.RequestTimeout);
        services.AddSingleton<IChannelConnectionType, TwilioConnectionType>();
        services.AddSingleton<IChannelSender, TwilioSender>();
        return services;
    }

    /// <summary>
    /// The durable spool webhooks are acknowledged from, and its forwarder to the bus. With a bus that keeps
    /// nothing durably (<paramref name="forgetOnlyWhenConsumed"/>), messages are forgotten once consumed;
    /// the host then connects <see cref="SpoolConsumeAcknowledger"/> to that bus.
    /// </summary>
    public static IServiceCollection AddInboundSpool(this IServiceCollection services, IConfiguration configuration, string defaultPath, bool forgetOnlyWhenConsumed)
    {
        var options = configuration.GetSection(SpoolOptions.Section).Get<SpoolOptions>() ?? new SpoolOptions();
        options.ForgetOnlyWhenConsumed = forgetOnlyWhenConsumed;
        services.AddSingleton(options);
        services.AddSingleton(provider => new SqliteInboundSpool(options.Path ?? defaultPath, options,
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<SqliteInboundSpool>>()));
        services.AddSingleton<IInboundSpool>(provider => provider.GetRequiredService<SqliteInboundSpool>());
        services.AddSingleton<SpoolForwarder>();
        services.AddHostedService(provider => provider.GetRequiredService<SpoolForwarder>());
        services.AddSingleton<SpoolConsumeAcknowledger>();
        services.AddHealthChecks().AddCheck<SpoolHealthCheck>("spool", tags: ["ready"]);
        return services;
    }

    /// <summary>The send ledger as a table in the embedded SQLite database (the inbox's file in Embedded mode).</summary>
    public static IServiceCollection AddSqliteOutboundLedger(this IServiceCollection services, string connectionString)
        => services.AddOutboundLedger(provider => new SqliteOutboundLedger(connectionString, ClockOf(provider)));

    /// <summary>The send ledger as a collection in the distributed MongoDB database.</summary>
    public static IServiceCollection AddMongoOutboundLedger(this IServiceCollection services, string connectionString)
    {
        var url = MongoUrl.Create(connectionString);
        return services.AddOutboundLedger(provider =>
            new MongoOutboundLedger(new MongoClient(url).GetDatabase(url.DatabaseName ?? "crm"), ClockOf(provider)));
    }

    private static IServiceCollection AddOutboundLedger(this IServiceCollection services, Func<IServiceProvider, IOutboundLedger> create)
    {
        services.AddOptions<OutboundLedgerOptions>().BindConfiguration(OutboundLedgerOptions.Section);
        services.AddSingleton(create);
        // Registered before the bus, so the ledger's table exists before the first send command arrives.
        services.AddHostedService<OutboundLedgerMaintenance>();
        return services;
    }

    /// <summary>Channel connections and Data Protection's key ring as tables of the embedded SQLite database.</summary>
    public static IServiceCollection AddSqliteChannelConnections(this IServiceCollection services, string connectionString)
        => services.AddChannelConnections(_ => new SqliteChannelConnectionStore(connectionString), _ => new SqliteKeyRing(connectionString));

    /// <summary>Channel connections and Data Protection's key ring as collections of the distributed MongoDB database.</summary>
    public static IServiceCollection AddMongoChannelConnections(this IServiceCollection services, string connectionString)
    {
        var url = MongoUrl.Create(connectionString);
        var database = new Lazy<IMongoDatabase>(() => new MongoClient(url).GetDatabase(url.DatabaseName ?? "crm"));
        return services.AddChannelConnections(_ => new MongoChannelConnectionStore(database.Value), _ => new MongoKeyRing(database.Value));
    }

    /// <summary>
    /// Secrets are encrypted with Data Protection keys kept in the store, so every process of a deployment
    /// (and a restarted one) decrypts what any other encrypted. One application name for all of them.
    /// </summary>
    private static IServiceCollection AddChannelConnections(this IServiceCollection services,
        Func<IServiceProvider, IChannelConnectionStore> createStore, Func<IServiceProvider, IXmlRepository> createKeyRing)
    {
        services.AddOptions<ChannelConnectionOptions>().BindConfiguration(ChannelConnectionOptions.Section);
        services.AddSingleton(createStore);
        services.AddSingleton<ConnectionSecrets>();
        services.AddSingleton<ChannelConnections>();
        services.AddSingleton<ChannelConnectionTypeRegistry>();
        services.AddSingleton<WebhookBaseUrl>();
        services.AddSingleton<OutboundSender>();
        services.AddDataProtection().SetApplicationName("Crm");
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((options, provider) => options.XmlRepository = createKeyRing(provider));
        // Registered before the bus, so tables and seed exist before the first send command or webhook.
        services.AddHostedService<ChannelConnectionsInitializer>();
        return services;
    }

    private static TimeProvider ClockOf(IServiceProvider provider) => provider.GetService<TimeProvider>() ?? TimeProvider.System;

    public static IBusRegistrationConfigurator AddConnectorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SendWhatsAppMessageConsumer>().Endpoint(endpoint => endpoint.Name = CommandQueues.WhatsAppOutbound);
        bus.AddConsumer<SendWeChatMessageConsumer>().Endpoint(endpoint => endpoint.Name = CommandQueues.WeChatOutbound);
        bus.AddConsumer<SendMessengerMessageConsumer>().Endpoint(endpoint => endpoint.Name = CommandQueues.MessengerOutbound);
        return bus;
    }

    /// <summary>Every provider's webhooks.</summary>
    public static IEndpointRouteBuilder MapConnectors(this IEndpointRouteBuilder app)
    {
        app.MapTwilioWebhooks();
        app.MapMessengerWebhooks();
        app.MapWhatsAppCloudWebhooks();
        app.MapWeChatWebhooks();
        return app;
    }

    /// <summary>The admin API; <paramref name="caller"/> reads the workspace and role from the agent's token.</summary>
    public static IEndpointRouteBuilder MapChannelConnectionsApi(this IEndpointRouteBuilder app, Func<System.Security.Claims.ClaimsPrincipal, ConnectionsCaller> caller)
        => app.MapChannelConnections(caller);
}
