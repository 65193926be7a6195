-- Each service owns its database.
CREATE DATABASE gridlink_intake;
CREATE DATABASE gridlink_dispatch;
CREATE DATABASE gridlink_supervision;
CREATE DATABASE gridlink_notification;
CREATE DATABASE gridlink_console;
