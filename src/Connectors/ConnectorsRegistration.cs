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

    public static IBusRegistrationConfigurator AddConnectorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SendWhatsAppMessageConsumer>().Endpoint(endpoint => endpoint.Name = CommandQueues.WhatsAppOutbound);
        return bus;
    }

    public static IEndpointRouteBuilder MapConnectors(this IEndpointRouteBuilder app) => app.MapTwilioWebhooks();
}
