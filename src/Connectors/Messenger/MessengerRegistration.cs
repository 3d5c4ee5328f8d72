using Crm.Connectors.Connections;
using Crm.Connectors.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Connectors.Messenger;

public static class MessengerRegistration
{
    public static IServiceCollection AddMessengerConnector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MessengerOptions>().Bind(configuration.GetSection(MessengerOptions.Section));
        services.AddHttpClient<MessengerClient>((provider, http) =>
            http.Timeout = provider.GetRequiredService<IOptions<MessengerOptions>>().Value.RequestTimeout);
        services.AddSingleton<MessengerProfiles>();
        services.AddSingleton<IChannelConnectionType, MessengerConnectionType>();
        services.AddSingleton<IChannelSender, MessengerSender>();
        return services;
    }
}
