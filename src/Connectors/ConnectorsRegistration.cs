using Crm.Connectors.Apis;
using Crm.Connectors.Outbound;
using Crm.Connectors.Spool;
using Crm.Connectors.Twilio;
using Crm.Contracts;
using MassTransit;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Connectors;

public static class ConnectorsRegistration
{
    public static IServiceCollection AddTwilioConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IInboundSpool, PublishingInboundSpool>();
        services.AddOptions<TwilioOptions>().Bind(configuration.GetSection(TwilioOptions.Section));
        services.AddHttpClient<TwilioMessagesClient>((provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<TwilioOptions>>().Value.RequestTimeout);
        return services;
    }

    public static IBusRegistrationConfigurator AddConnectorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SendWhatsAppMessageConsumer>().Endpoint(endpoint => endpoint.Name = CommandQueues.WhatsAppOutbound);
        return bus;
    }

    public static IEndpointRouteBuilder MapConnectors(this IEndpointRouteBuilder app) => app.MapTwilioWebhooks();
}
