using Crm.Contracts;
using Crm.Inbox.Agents;
using Crm.Inbox.Apis;
using Crm.Inbox.Replies;
using Crm.Inbox.Storage;
using Crm.Inbox.Storage.Mongo;
using Crm.Inbox.Storage.Sqlite;
using Crm.Inbox.Timelines;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;

namespace Crm.Inbox;

public static class InboxRegistration
{
    public static IServiceCollection AddSqliteInboxStore(this IServiceCollection services, string connectionString)
        // A factory, so the container disposes the store (and its writer connection) at shutdown.
        => services.AddSingleton<IInboxStore>(_ => new SqliteInboxStore(connectionString)).AddHostedService<InboxStoreInitializer>();

    public static IServiceCollection AddMongoInboxStore(this IServiceCollection services, string connectionString)
    {
        var url = MongoUrl.Create(connectionString);
        var database = new MongoClient(url).GetDatabase(url.DatabaseName ?? "crm");
        return services.AddSingleton<IInboxStore>(new MongoInboxStore(database)).AddHostedService<InboxStoreInitializer>();
    }

    /// <summary>Services the inbox's consumers and agent API need, in whichever process hosts them.</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.AddSingleton<AgentNotifier>();
        services.AddSignalR();
        // The reply outbox: both stores implement it on the same messages they keep.
        services.AddSingleton(provider => (IReplyOutbox)provider.GetRequiredService<IInboxStore>());
        services.AddOptions<ReplyOutboxOptions>().BindConfiguration(ReplyOutboxOptions.Section);
        services.AddSingleton<ReplyDispatchSignal>();
        services.AddHostedService<ReplyDispatcher>();
        services.AddHostedService<ReplyGiveUpSweeper>();
        return services;
    }

    public static IBusRegistrationConfigurator AddInboxConsumers(this IBusRegistrationConfigurator bus)
    {
        // The queues publishers declare ahead of any inbox process (InboxQueues): names must match.
        bus.AddConsumer<InboundMessageReceivedConsumer, InboundMessageReceivedConsumerDefinition>()
            .Endpoint(endpoint => endpoint.Name = InboxQueues.InboundMessages);
        bus.AddConsumer<DeliveryStatusConsumer>()
            .Endpoint(endpoint => endpoint.Name = InboxQueues.DeliveryStatuses);
        return bus;
    }

    public static IEndpointRouteBuilder MapInbox(this IEndpointRouteBuilder app)
    {
        app.MapConversationsApi();
        // A connection whose token expires is closed: pushes stop with the agent's right to see them.
        app.MapHub<InboxHub>(InboxHub.Path, options => options.CloseOnAuthenticationExpiration = true);
        return app;
    }

    /// <summary>Creates tables and indexes before the bus starts consuming.</summary>
    private sealed class InboxStoreInitializer(IInboxStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
