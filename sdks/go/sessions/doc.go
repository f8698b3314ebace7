// Interactive access sessions (Alibaba Cloud ECS Session Manager, AWS SSM) and database session kills (Alibaba Cloud DAS) as Pulumi resources, with a local cloud for offline use.
package sessions
