"""Notification's HTTP edge: deliveries, the inbox, templates and contact points; partners' webhook endpoints."""

from services.notification.api import messages, partners

ROUTERS = [messages.router, partners.router]
