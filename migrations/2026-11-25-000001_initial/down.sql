DROP TABLE schedules;
DROP TABLE notifications;
DROP TABLE price_history;
DROP TABLE watches;
DROP TABLE products;
DROP TABLE users;
