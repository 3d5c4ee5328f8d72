using Crm.Connectors.Apis;
using Crm.Connectors.Outbound;
using Crm.Connectors.Spool;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MongoDB.Driver;

namespace Crm.Connectors;

public static class ConnectorsRegistration
{
    public static IServiceCollection AddTwilioConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TwilioOptions>().Bind(configuration.GetSection(TwilioOptions.Section));
        services.AddHttpClient<TwilioMessagesClient>((provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<TwilioOptions>>().Value.RequestTimeout);
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

    private static TimeProvider ClockOf(IServiceProvider provider) => provider.GetService<TimeProvider>() ?? TimeProvider.System;

    public static IBusRegistrationConfigurator AddConnectorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SendWhatsAppMessageConsumer>().Endpoint(endpoint => endpoint.Name = CommandQueues.WhatsAppOutbound);
        return bus;
    }

    public static IEndpointRouteBuilder MapConnectors(this IEndpointRouteBuilder app) => app.MapTwilioWebhooks();
}
