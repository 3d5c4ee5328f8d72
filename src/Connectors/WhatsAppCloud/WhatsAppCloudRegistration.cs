using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.WhatsAppCloud;

public static class WhatsAppCloudRegistration
{
    /// <summary>The <c>whatsapp-cloud</c> connection type, its sender, its media source and its Graph API client.</summary>
    public static IServiceCollection AddWhatsAppCloudConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WhatsAppCloudOptions>().Bind(configuration.GetSection(WhatsAppCloudOptions.Section));
        services.AddHttpClient<WhatsAppCloudClient>((provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<WhatsAppCloudOptions>>().Value.RequestTimeout);
        services.AddSingleton<IChannelConnectionType, WhatsAppCloudConnectionType>();
        services.AddSingleton<IChannelSender, WhatsAppCloudSender>();
        services.AddSingleton<IChannelMediaSource, WhatsAppCloudMediaSource>();
        return services;
    }
}
