using Microsoft.Extensions.DependencyInjection;

namespace Crm.Automation;

/// <summary>
/// Auto-reply rules and bulk re-engagement of dormant customers will live here, reacting to the same
/// contracts the inbox consumes. Nothing is automated yet; the hook exists so hosts already call it.
/// </summary>
public static class AutomationRegistration
{
    public static IServiceCollection AddAutomation(this IServiceCollection services) => services;
}
